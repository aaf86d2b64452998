import AsyncHTTPClient
import Foundation
import Model
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A small JSON-over-HTTP client for remote targets, on AsyncHTTPClient: pooled
/// connections (a few per host), a connect and read timeout, a deadline for each
/// attempt (head and body), bodies bounded in size, retries with backoff and jitter on
/// 429 (honouring Retry-After), 5xx and connection errors, and a count of the requests
/// made. Only idempotent requests are retried after a 5xx or a lost connection: a POST
/// or PATCH whose outcome is unknown is never sent twice (the next plan observes what
/// happened). Credentials go in headers and are never part of an error, even when a
/// server echoes them.
public final class RESTClient: Sendable {
    public struct Failure: Error, Sendable {
        public var status: Int?
        public var code: String?
        public var message: String
    }

    public let base: String
    public let name: String
    let headers: @Sendable () async throws(Failure) -> [String: String]
    /// Seconds one attempt may take, response body included.
    let timeout: Double
    let attempts: Int
    /// The largest response body read; a larger one fails the request.
    let maxBody: Int
    let http: HTTPClient
    private let made = Mutex(0)

    /// One client for the process: connections are pooled across targets and runs.
    static let pooled: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 4)
        // A connection that cannot be made fails the attempt at once (a request never
        // sent, which `send` may retry with backoff), rather than waiting out the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        // An API does not redirect; following one could carry credentials elsewhere.
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    public init(base: String, name: String, timeout: Double = 30, attempts: Int = 4, maxBody: Int = 32 << 20,
                headers: @escaping @Sendable () async throws(Failure) -> [String: String] = { [:] }) {
        self.base = base
        self.name = name
        self.timeout = timeout
        self.attempts = attempts
        self.maxBody = maxBody
        self.headers = headers
        http = Self.pooled
    }

    /// Requests made so far (every attempt counts).
    public var requests: Int { made.withLock { $0 } }

    struct Answer: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: Data
    }

    /// Sends a request; returns the decoded JSON body (`{}` for an empty one).
    @discardableResult
    public func send(_ method: String, _ path: String, query: [String: String] = [:], body: Value? = nil) async throws(Failure) -> Value {
        var components = URLComponents(string: base + path)
        if !query.isEmpty { components?.queryItems = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) } }
        guard let url = components?.url?.absoluteString else { throw Failure(status: nil, code: nil, message: "\(base + path) is not a URL") }
        // Encoded once, and never sent empty: a body that cannot be encoded stops the request.
        var encoded: Data?
        if let body {
            do { encoded = try JSONEncoder().encode(body) } catch {
                throw Failure(status: nil, code: nil, message: "the body of \(method) \(path) cannot be encoded as JSON (\(error)); nothing was sent")
            }
        }
        var lastFailure = Failure(status: nil, code: nil, message: "no attempt made")
        let idempotent = Self.idempotentMethods.contains(method.uppercased())
        for attempt in 1...attempts {
            let sent = try await headers()
            var request = HTTPClientRequest(url: url)
            request.method = HTTPMethod(rawValue: method.uppercased())
            for (key, value) in sent { request.headers.add(name: key, value: value) }
            if let encoded {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: encoded))
            }
            var retryAfter: Double?
            switch await perform(request) {
            case .failure(let error):
                lastFailure = Failure(status: nil, code: nil, message: "\(name) at \(base) could not be reached: \(Self.describe(error, limit: maxBody))")
                // Unsent (no connection made) is safe to retry; a lost connection is not, for a POST.
                guard idempotent || Self.neverSent(error) else { throw Self.unknownOutcome(lastFailure, method: method, path: path) }
            case .success(let answer):
                let decoded = answer.body.isEmpty ? nil : try? JSONDecoder().decode(Value.self, from: answer.body)
                if (200..<300).contains(answer.status) { return decoded ?? .object([:]) }
                let code = decoded?["error_code"]?.stringValue
                let message = Self.redacting(sent.values, in: decoded?["message"]?.stringValue ?? String(decoding: answer.body.prefix(300), as: UTF8.self))
                lastFailure = Failure(status: answer.status, code: code, message: Self.describe(status: answer.status, code: code, message: message, name: name, base: base))
                guard answer.status == 429 || answer.status >= 500 else { throw lastFailure }
                // 429 says the request was not processed; a 5xx may have been, in part.
                guard idempotent || answer.status == 429 else { throw Self.unknownOutcome(lastFailure, method: method, path: path) }
                retryAfter = answer.headers.first(name: "Retry-After").flatMap(Double.init)
            }
            if attempt < attempts {
                let backoff = retryAfter ?? (0.25 * pow(2, Double(attempt - 1)) * Double.random(in: 0.8...1.2))
                try? await Task.sleep(for: .seconds(min(backoff, 30)))
            }
        }
        throw lastFailure
    }

    /// Sends an `application/x-www-form-urlencoded` body (OAuth token requests); never retried.
    public func sendForm(_ method: String, _ path: String, form: [String: String]) async throws(Failure) -> Value {
        var request = HTTPClientRequest(url: base + path)
        request.method = HTTPMethod(rawValue: method.uppercased())
        for (key, value) in try await headers() { request.headers.add(name: key, value: value) }
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let unreserved = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        request.body = .bytes(ByteBuffer(string: form.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "")" }.joined(separator: "&")))
        let answer: Answer
        switch await perform(request) {
        case .failure(let error): throw Failure(status: nil, code: nil, message: "\(name) at \(base) could not be reached: \(Self.describe(error, limit: maxBody))")
        case .success(let received): answer = received
        }
        let decoded = (try? JSONDecoder().decode(Value.self, from: answer.body)) ?? .object([:])
        guard (200..<300).contains(answer.status) else {
            throw Failure(status: answer.status, code: decoded["error"]?.stringValue, message: Self.describe(status: answer.status, code: decoded["error"]?.stringValue, message: decoded["error_description"]?.stringValue ?? "", name: name, base: base))
        }
        return decoded
    }

    /// One attempt: the head and the whole body within the deadline, the body within `maxBody`.
    func perform(_ request: HTTPClientRequest) async -> Result<Answer, any Error> {
        made.withLock { $0 += 1 }
        let deadline = NIODeadline.now() + .milliseconds(Int64(timeout * 1000))
        let http = self.http, limit = maxBody
        do {
            let answer = try await Self.within(deadline) {
                let response = try await http.execute(request, deadline: deadline)
                let body = try await response.body.collect(upTo: limit)
                return Answer(status: Int(response.status.code), headers: response.headers, body: Data(body.readableBytesView))
            }
            return .success(answer)
        } catch {
            return .failure(error)
        }
    }

    /// `body`, cancelled when `deadline` passes (a server that sends its body slowly
    /// cannot hold an attempt longer than the deadline).
    static func within<T: Sendable>(_ deadline: NIODeadline, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                let now = NIODeadline.now().uptimeNanoseconds
                try await Task.sleep(nanoseconds: deadline.uptimeNanoseconds > now ? deadline.uptimeNanoseconds - now : 0)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw HTTPClientError.deadlineExceeded }
            return value
        }
    }

    /// Methods whose repetition has the effect of one request.
    static let idempotentMethods: Set<String> = ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]

    /// Whether `error` means the request never reached the server (no connection was
    /// made), so sending it again cannot apply it twice.
    static func neverSent(_ error: any Error) -> Bool {
        if error is NIOConnectionError { return true }
        if let error = error as? HTTPClientError { return error == .connectTimeout }
        if let error = error as? ChannelError, case .connectTimeout = error { return true }
        if let error = error as? IOError { return [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH].contains(error.errnoCode) }
        return false
    }

    /// A transport error in words.
    static func describe(_ error: any Error, limit: Int) -> String {
        if error is NIOTooManyBytesError { return "its answer is larger than \(limit >> 20) MiB, more than reconcile reads" }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded: return "no complete answer within the deadline"
            case .connectTimeout: return "the connection timed out"
            case .readTimeout: return "the answer stalled (read timeout)"
            case .remoteConnectionClosed: return "the connection was closed before an answer"
            default: return "\(error)"
            }
        }
        if let error = error as? NIOConnectionError { return "cannot connect to \(error.host):\(error.port)" }
        return "\(error)"
    }

    static func unknownOutcome(_ failure: Failure, method: String, path: String) -> Failure {
        Failure(status: failure.status, code: failure.code,
                message: failure.message + "; \(method) \(path) may or may not have taken effect, so it was not sent again: the next plan observes what exists and goes on from there")
    }

    /// `text` with every credential value sent replaced, whatever a server echoed.
    static func redacting(_ secrets: some Sequence<String>, in text: String) -> String {
        var text = text
        for secret in secrets where secret.count >= 8 {
            text = text.replacingOccurrences(of: secret, with: "[redacted]")
            // "Bearer <token>": the token alone may be echoed too.
            if let space = secret.firstIndex(of: " "), secret.distance(from: space, to: secret.endIndex) > 8 {
                text = text.replacingOccurrences(of: String(secret[secret.index(after: space)...]), with: "[redacted]")
            }
        }
        return text
    }

    static func describe(status: Int, code: String?, message: String, name: String, base: String) -> String {
        switch status {
        case 401: return "\(name) at \(base) rejected the credentials (401 Unauthorized); check the token"
        case 403: return "\(name) at \(base) refused access (403 Forbidden); the identity lacks permission"
        default: return "\(name) at \(base) answered \(status)\(code.map { " \($0)" } ?? ""): \(message)"
        }
    }
}
