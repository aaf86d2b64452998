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
    /// The routes without an environment in their path serve the one environment a
    /// process watches; with several, each is asked by name under
    /// /api/v1/environments/{env}/… and /environments/{env}/ofrep/….
    public static func router(group: WatchGroup, secrets: APISecrets, ofrep: OFREPService) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/healthz") { _, _ in
            if let reason = group.notLive() { return text(503, "not live: \(reason)\n") }
            return text(200, "ok\n")
        }
        router.get("/readyz") { _, _ in await readiness(group) }
        router.get("/metrics") { request, _ in
            if let refusal = readRefusal(request, secrets) { return refusal }
            return text(200, await group.metricsText(), type: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/api/v1/environments") { request, _ in
            if let refusal = readRefusal(request, secrets) { return refusal }
            var statuses: [WatchStatus] = []
            for member in group.members { statuses.append(await member.status) }
            return encoded(["environments": statuses])
        }
        for (path, read) in reads {
            router.get("/api/v1/\(path)") { request, _ in
                if let refusal = readRefusal(request, secrets) { return refusal }
                guard let reconciler = group.only else { return several(group, "/api/v1/environments/{env}/\(path)") }
                return await read(request, reconciler)
            }
            router.get("/api/v1/environments/{env}/\(path)") { request, context in
                if let refusal = readRefusal(request, secrets) { return refusal }
                guard let reconciler = group.reconciler(context.parameters.get("env") ?? "") else { return unknown(group, context) }
                return await read(request, reconciler)
            }
        }
        addTriggers(to: router, group: group, secrets: secrets)
        addOFREP(to: router, prefix: "", secrets: secrets, ofrep: ofrep) { _ in
            guard let reconciler = group.only else { return .failure(Refusal(response: several(group, "/environments/{env}/ofrep/v1/evaluate/flags"))) }
            return .success(reconciler)
        }
        addOFREP(to: router, prefix: "/environments/{env}", secrets: secrets, ofrep: ofrep) { context in
            guard let reconciler = group.reconciler(context.parameters.get("env") ?? "") else { return .failure(Refusal(response: unknown(group, context))) }
            return .success(reconciler)
        }
        return router
    }

    /// What each read route answers, for the reconciler it is asked of.
    static let reads: [(String, @Sendable (Request, Reconciler) async -> Response)] = [
        ("status", { _, reconciler in encoded(await reconciler.status) }),
        ("plan", { _, reconciler in
            guard let plan = await reconciler.plan else { return json(404, .object(["error": "no plan yet: the first reconcile has not finished"])) }
            return json(200, plan)
        }),
        ("history", { request, reconciler in
            let limit = request.uri.queryParameters.get("limit").flatMap { Int($0) } ?? 20
            return json(200, await reconciler.history(limit: max(1, min(limit, 1000))))
        }),
    ]

    /// 200 when every environment is ready, else 503; a line for each environment.
    static func readiness(_ group: WatchGroup) async -> Response {
        var lines: [String] = [], ready = true
        for member in group.members {
            let condition = await member.status.condition(.ready)
            ready = ready && condition.status
            lines.append(group.only != nil ? "\(condition.status ? "ready" : "not ready"): \(condition.reason)"
                                           : "\(member.environment): \(condition.status ? "ready" : "not ready"): \(condition.reason)")
        }
        return text(ready ? 200 : 503, lines.joined(separator: "\n") + "\n")
    }

    /// Asked without an environment of a process that watches several.
    static func several(_ group: WatchGroup, _ route: String) -> Response {
        json(400, .object(["error": .string("this watch reconciles \(group.names.count) environments (\(group.names.joined(separator: ", "))): ask \(route)")]))
    }

    /// Asked for an environment this process does not watch.
    static func unknown(_ group: WatchGroup, _ context: BasicRequestContext) -> Response {
        let asked = String((context.parameters.get("env") ?? "").prefix(100))
        return json(404, .object(["error": .string("this watch does not reconcile an environment \"\(asked)\"; it reconciles \(group.names.joined(separator: ", "))")]))
    }

    /// A Codable value as pretty, sorted JSON with ISO 8601 dates.
    static func encoded(_ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.dateEncodingStrategy = .iso8601
        do {
            return bytes(200, Array(try encoder.encode(value)), type: "application/json")
        } catch {
            return json(500, .object(["error": .string("cannot encode the answer: \(error)")]))
        }
    }

    /// The 401 a read gets without the token when reads require it; nil when it may read.
    static func readRefusal(_ request: Request, _ secrets: APISecrets) -> Response? {
        guard secrets.requireTokenForReads, !secrets.presentsToken(request.headers[.authorization]) else { return nil }
        return json(401, .object(["error": "this server requires the bearer token for reads (--require-token-for-reads)"]))
    }

    /// POST /api/v1/sync (every environment), POST /api/v1/environments/{env}/sync
    /// (bearer token) and the git webhook (HMAC signature, every environment): each
    /// disabled unless its secret is configured.
    static func addTriggers(to router: Router<BasicRequestContext>, group: WatchGroup, secrets: APISecrets) {
        let deliveries = Deliveries(capacity: 1000)
        /// `members` nil: the environment asked for is not watched (`missing` answers).
        @Sendable func sync(_ request: Request, _ members: [Reconciler]?, missing: @autoclosure () -> Response) async -> Response {
            guard secrets.apiToken != nil else {
                return json(403, .object(["error": "POST /api/v1/sync is disabled: start watch with RECONCILE_API_TOKEN or --token-file"]))
            }
            guard secrets.presentsToken(request.headers[.authorization]) else {
                return json(401, .object(["error": "a valid bearer token is required"]))
            }
            guard let members else { return missing() }
            for member in members { await member.trigger("api") }
            return json(202, .object(["accepted": true]))
        }
        router.post("/api/v1/sync") { request, _ in
            await sync(request, group.members, missing: several(group, "/api/v1/environments/{env}/sync"))
        }
        router.post("/api/v1/environments/{env}/sync") { request, context in
            await sync(request, group.reconciler(context.parameters.get("env") ?? "").map { [$0] }, missing: unknown(group, context))
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
            for member in group.members { await member.trigger("webhook") }
            return json(202, .object(["accepted": true]))
        }
    }

    /// OpenFeature's remote evaluation protocol over the applied flags of the
    /// environment `choose` picks (or the error response it gives).
    static func addOFREP(to router: Router<BasicRequestContext>, prefix: String, secrets: APISecrets, ofrep: OFREPService,
                         choose: @escaping @Sendable (BasicRequestContext) -> Result<Reconciler, Refusal>) {
        router.post("\(prefix)/ofrep/v1/evaluate/flags/{key}") { request, context in
            if let refusal = readRefusal(request, secrets) { return refusal }
            let reconciler: Reconciler
            switch choose(context) { case .success(let chosen): reconciler = chosen; case .failure(let refusal): return refusal.response }
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            let key = context.parameters.get("key") ?? ""
            let (status, value) = ofrep.evaluate(key: key, body: body.getBytes(at: body.readerIndex, length: body.readableBytes) ?? [], flags: await reconciler.appliedFlags)
            return json(status, value)
        }
        router.post("\(prefix)/ofrep/v1/evaluate/flags") { request, context in
            if let refusal = readRefusal(request, secrets) { return refusal }
            let reconciler: Reconciler
            switch choose(context) { case .success(let chosen): reconciler = chosen; case .failure(let refusal): return refusal.response }
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            let (status, etag, value) = ofrep.evaluateAll(body: body.getBytes(at: body.readerIndex, length: body.readableBytes) ?? [],
                                                          flags: await reconciler.appliedFlags, ifNoneMatch: request.headers[.ifNoneMatch])
            var response = value.map { json(status, $0) } ?? Response(status: .notModified)
            if let etag { response.headers[.eTag] = etag }
            return response
        }
    }

    /// A response that refuses a request, as an error (for `Result`).
    struct Refusal: Error {
        var response: Response
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
    /// `settings`: one for each environment, all of the same repository and mirror.
    public static func run(settings: [WatchSettings], interval: Double, host: String, port: Int, secrets: APISecrets, limits: ServerLimits = ServerLimits(), logger: Logger) async throws {
        let group = self.group(settings, interval: interval, logger: logger)
        let router = HTTPAPI.router(group: group, secrets: secrets, ofrep: OFREPService())
        var quiet = logger
        quiet.logLevel = .warning
        let started = StartFlag()
        let limits = limits.fitted(logger: logger)
        let app = Application(router: router, server: limits.server(),
                              configuration: limits.configuration(host: host, port: port, logger: quiet),
                              services: group.members,
                              onServerRunning: { channel in
                                  started.set()
                                  for member in group.members { await member.start() }
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

    /// A reconciler for each environment: one mirror, one registry, one gate.
    static func group(_ settings: [WatchSettings], interval: Double, logger: Logger) -> WatchGroup {
        let registry = MetricsRegistry(), gate = CycleGate.forThisMachine
        let mirror = settings.first.map { SharedMirror(repository: $0.repository, directory: $0.cacheDirectory, token: $0.token) }
        let members = settings.map { settings in
            var logger = logger
            logger[metadataKey: "environment"] = "\(settings.environment)"
            return Reconciler(runner: CycleRunner(settings: settings, logger: logger, mirror: mirror), interval: interval,
                              notifier: Notifier(urls: [], logger: logger), logger: logger,
                              metrics: Metrics(environment: settings.environment, registry: registry), gate: gate)
        }
        return WatchGroup(members: members, registry: registry, mirror: mirror)
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
