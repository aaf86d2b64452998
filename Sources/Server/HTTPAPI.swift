import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Engine
import Model
import Rendering
import Synchronization

/// Secrets the API checks; never logged.
public struct APISecrets: Sendable {
    /// Bearer token for POST /api/v1/sync.
    public var apiToken: String?
    /// HMAC key of push webhooks (GitHub's X-Hub-Signature-256).
    public var webhookSecret: String?
    /// Reads (metrics, status, plan, history, OFREP) need the bearer token too;
    /// only /healthz and /readyz stay open.
    public var requireTokenForReads: Bool

    public init(apiToken: String?, webhookSecret: String?, requireTokenForReads: Bool = false) {
        self.apiToken = apiToken
        self.webhookSecret = webhookSecret
        self.requireTokenForReads = requireTokenForReads
    }

    /// Whether `authorization` (a header's value) presents the API token.
    func presentsToken(_ authorization: String?) -> Bool {
        guard let token = apiToken, let presented = authorization, presented.hasPrefix("Bearer ") else { return false }
        return HTTPAPI.constantTimeEqual(Array(presented.dropFirst(7).utf8), Array(token.utf8))
    }
}

/// The watch process's HTTP surface: health, metrics, status, plan, history, sync,
/// the git webhook and OFREP.
public enum HTTPAPI {
    public static func router(reconciler: Reconciler, secrets: APISecrets, ofrep: OFREPService) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/healthz") { _, _ in text(200, "ok\n") }
        router.get("/readyz") { _, _ in
            let ready = await reconciler.status.condition(.ready)
            return text(ready.status ? 200 : 503, "\(ready.status ? "ready" : "not ready"): \(ready.reason)\n")
        }
        router.get("/metrics") { request, _ in
            if let refusal = readRefusal(request, secrets) { return refusal }
            return text(200, await reconciler.metricsText(), type: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/api/v1/status") { request, _ in
            if let refusal = readRefusal(request, secrets) { return refusal }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            encoder.dateEncodingStrategy = .iso8601
            let data = (try? encoder.encode(await reconciler.status)) ?? Data()
            return bytes(200, Array(data), type: "application/json")
        }
        router.get("/api/v1/plan") { request, _ in
            if let refusal = readRefusal(request, secrets) { return refusal }
            guard let plan = await reconciler.plan else { return json(404, .object(["error": "no plan yet: the first reconcile has not finished"])) }
            return json(200, plan)
        }
        router.get("/api/v1/history") { request, _ in
            if let refusal = readRefusal(request, secrets) { return refusal }
            let limit = request.uri.queryParameters.get("limit").flatMap { Int($0) } ?? 20
            return json(200, await reconciler.history(limit: max(1, min(limit, 1000))))
        }
        addTriggers(to: router, reconciler: reconciler, secrets: secrets)
        addOFREP(to: router, reconciler: reconciler, secrets: secrets, ofrep: ofrep)
        return router
    }

    /// The 401 a read gets without the token when reads require it; nil when it may read.
    static func readRefusal(_ request: Request, _ secrets: APISecrets) -> Response? {
        guard secrets.requireTokenForReads, !secrets.presentsToken(request.headers[.authorization]) else { return nil }
        return json(401, .object(["error": "this server requires the bearer token for reads (--require-token-for-reads)"]))
    }

    /// POST /api/v1/sync (bearer token) and the git webhook (HMAC signature): each
    /// disabled unless its secret is configured.
    static func addTriggers(to router: Router<BasicRequestContext>, reconciler: Reconciler, secrets: APISecrets) {
        let deliveries = Deliveries(capacity: 1000)
        router.post("/api/v1/sync") { request, _ in
            guard secrets.apiToken != nil else {
                return json(403, .object(["error": "POST /api/v1/sync is disabled: start watch with RECONCILE_API_TOKEN or --token-file"]))
            }
            guard secrets.presentsToken(request.headers[.authorization]) else {
                return json(401, .object(["error": "a valid bearer token is required"]))
            }
            await reconciler.trigger("api")
            return json(202, .object(["accepted": true]))
        }
        router.post("/hooks/git") { request, _ in
            guard let secret = secrets.webhookSecret else {
                return json(403, .object(["error": "webhooks are disabled: start watch with RECONCILE_WEBHOOK_SECRET or --webhook-secret-file"]))
            }
            var request = request
            let body = try await request.collectBody(upTo: 5 << 20)
            let payload = body.getBytes(at: body.readerIndex, length: body.readableBytes) ?? []
            let expected = "sha256=" + Digest.hex(Digest.hmacSHA256(key: Array(secret.utf8), message: payload))
            let given = request.headers[HTTPField.Name("X-Hub-Signature-256")!] ?? ""
            guard constantTimeEqual(Array(given.utf8), Array(expected.utf8)) else {
                return json(401, .object(["error": "the X-Hub-Signature-256 signature does not match the body"]))
            }
            // A redelivered event (same X-GitHub-Delivery id) triggers nothing more.
            if let delivery = request.headers[HTTPField.Name("X-GitHub-Delivery")!], !deliveries.firstSeen(delivery) {
                return json(200, .object(["accepted": false, "duplicate": true]))
            }
            await reconciler.trigger("webhook")
            return json(202, .object(["accepted": true]))
        }
    }

    /// OpenFeature's remote evaluation protocol over the applied flags.
    static func addOFREP(to router: Router<BasicRequestContext>, reconciler: Reconciler, secrets: APISecrets, ofrep: OFREPService) {
        router.post("/ofrep/v1/evaluate/flags/{key}") { request, context in
            if let refusal = readRefusal(request, secrets) { return refusal }
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            let key = context.parameters.get("key") ?? ""
            let (status, value) = ofrep.evaluate(key: key, body: body.getBytes(at: body.readerIndex, length: body.readableBytes) ?? [], flags: await reconciler.appliedFlags)
            return json(status, value)
        }
        router.post("/ofrep/v1/evaluate/flags") { request, _ in
            if let refusal = readRefusal(request, secrets) { return refusal }
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            let (status, etag, value) = ofrep.evaluateAll(body: body.getBytes(at: body.readerIndex, length: body.readableBytes) ?? [],
                                                          flags: await reconciler.appliedFlags, ifNoneMatch: request.headers[.ifNoneMatch])
            var response = value.map { json(status, $0) } ?? Response(status: .notModified)
            if let etag { response.headers[.eTag] = etag }
            return response
        }
    }

    static func text(_ status: Int, _ body: String, type: String = "text/plain; charset=utf-8") -> Response {
        bytes(status, Array(body.utf8), type: type)
    }

    static func json(_ status: Int, _ value: Value) -> Response {
        bytes(status, Array(JSONText.encode(value).utf8), type: "application/json")
    }

    static func bytes(_ status: Int, _ body: [UInt8], type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}

/// Runs the reconciler and the HTTP server together until SIGTERM or SIGINT.
public enum WatchServer {
    public static func run(settings: WatchSettings, interval: Double, host: String, port: Int, secrets: APISecrets, limits: ServerLimits = ServerLimits(), logger: Logger) async throws {
        let runner = CycleRunner(settings: settings, logger: logger)
        let reconciler = Reconciler(runner: runner, interval: interval, notifier: Notifier(urls: [], logger: logger), logger: logger)
        let router = HTTPAPI.router(reconciler: reconciler, secrets: secrets, ofrep: OFREPService())
        var quiet = logger
        quiet.logLevel = .warning
        let started = StartFlag()
        let limits = limits.fitted(logger: logger)
        let app = Application(router: router, server: limits.server(),
                              configuration: limits.configuration(host: host, port: port, logger: quiet),
                              services: [reconciler],
                              onServerRunning: { channel in
                                  started.set()
                                  await reconciler.start()
                                  // The real address: with port 0 the system picks one.
                                  logger.info("serving on http://\(host):\(channel.localAddress?.port ?? port)")
                              },
                              logger: quiet)
        do {
            try await app.runService()
        } catch where !started.isSet {
            // A port in use, an address that does not resolve: stop, saying why.
            throw ListenFailure(message: "cannot listen on \(host):\(port): \(error); pass --listen with a free HOST:PORT")
        }
    }
}

/// The server could not start listening.
public struct ListenFailure: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Set once, from any thread: whether the HTTP server came up.
final class StartFlag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

/// Webhook delivery ids seen lately (bounded: the oldest is forgotten first), so a
/// redelivered push triggers one reconcile, not two.
final class Deliveries: Sendable {
    private let state: Mutex<(seen: Set<String>, order: [String])>
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        state = Mutex(([], []))
    }

    /// True the first time `id` is seen (ids longer than 200 characters count by their first 200).
    func firstSeen(_ id: String) -> Bool {
        let key = String(id.prefix(200))
        return state.withLock { state in
            guard state.seen.insert(key).inserted else { return false }
            state.order.append(key)
            if state.order.count > capacity { state.seen.remove(state.order.removeFirst()) }
            return true
        }
    }
}
