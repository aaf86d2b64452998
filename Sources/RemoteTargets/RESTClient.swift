import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Model

/// A small JSON-over-HTTP client for remote targets: timeouts, retries with backoff
/// and jitter on 429 (honouring Retry-After), 5xx and connection errors, and a count
/// of the requests made. Only idempotent requests are retried after a 5xx or a lost
/// connection: a POST or PATCH whose outcome is unknown is never sent twice (the next
/// plan observes what happened). Credentials go in headers and are never part of an
/// error, even when a server echoes them.
public final class RESTClient: @unchecked Sendable {
    public struct Failure: Error, Sendable {
        public var status: Int?
        public var code: String?
        public var message: String
    }

    public let base: String
    public let name: String
    let headers: @Sendable () throws(Failure) -> [String: String]
    let timeout: Double
    let attempts: Int
    private let lock = NSLock()
    private var made = 0

    public init(base: String, name: String, timeout: Double = 15, attempts: Int = 4,
                headers: @escaping @Sendable () throws(Failure) -> [String: String] = { [:] }) {
        self.base = base
        self.name = name
        self.timeout = timeout
        self.attempts = attempts
        self.headers = headers
    }

    /// Requests made so far (every attempt counts).
    public var requests: Int { lock.withLock { made } }

    /// Sends a request; returns the decoded JSON body (`{}` for an empty one).
    @discardableResult
    public func send(_ method: String, _ path: String, query: [String: String] = [:], body: Value? = nil) throws(Failure) -> Value {
        var components = URLComponents(string: base + path)
        if !query.isEmpty { components?.queryItems = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) } }
        guard let url = components?.url else { throw Failure(status: nil, code: nil, message: "\(base + path) is not a URL") }
        var lastFailure = Failure(status: nil, code: nil, message: "no attempt made")
        let idempotent = Self.idempotentMethods.contains(method.uppercased())
        for attempt in 1...attempts {
            var request = URLRequest(url: url, timeoutInterval: timeout)
            request.httpMethod = method
            let sent = try headers()
            for (key, value) in sent { request.setValue(value, forHTTPHeaderField: key) }
            if let body {
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                request.httpBody = try? JSONEncoder().encode(body)
            }
            lock.withLock { made += 1 }
            let (data, response, error) = Self.perform(request)
            var retryAfter: Double?
            if let error {
                lastFailure = Failure(status: nil, code: nil, message: "\(name) at \(base) could not be reached: \(error.localizedDescription)")
                // Unsent (no connection made) is safe to retry; a lost connection is not, for a POST.
                guard idempotent || Self.neverSent(error) else { throw Self.unknownOutcome(lastFailure, method: method, path: path) }
            } else if let http = response as? HTTPURLResponse {
                let decoded = data.flatMap { $0.isEmpty ? nil : try? JSONDecoder().decode(Value.self, from: $0) }
                if (200..<300).contains(http.statusCode) { return decoded ?? .object([:]) }
                let code = decoded?["error_code"]?.stringValue
                let message = Self.redacting(sent.values, in: decoded?["message"]?.stringValue ?? data.map { String(decoding: $0.prefix(300), as: UTF8.self) } ?? "")
                lastFailure = Failure(status: http.statusCode, code: code, message: Self.describe(status: http.statusCode, code: code, message: message, name: name, base: base))
                guard http.statusCode == 429 || http.statusCode >= 500 else { throw lastFailure }
                // 429 says the request was not processed; a 5xx may have been, in part.
                guard idempotent || http.statusCode == 429 else { throw Self.unknownOutcome(lastFailure, method: method, path: path) }
                retryAfter = (http.value(forHTTPHeaderField: "Retry-After")).flatMap(Double.init)
            }
            if attempt < attempts {
                let backoff = retryAfter ?? (0.25 * pow(2, Double(attempt - 1)) * Double.random(in: 0.8...1.2))
                Thread.sleep(forTimeInterval: min(backoff, 30))
            }
        }
        throw lastFailure
    }

    /// Sends an `application/x-www-form-urlencoded` body (OAuth token requests).
    public func sendForm(_ method: String, _ path: String, form: [String: String]) throws(Failure) -> Value {
        guard let url = URL(string: base + path) else { throw Failure(status: nil, code: nil, message: "\(base + path) is not a URL") }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        for (key, value) in try headers() { request.setValue(value, forHTTPHeaderField: key) }
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        let unreserved = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        request.httpBody = Data(form.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "")" }.joined(separator: "&").utf8)
        lock.withLock { made += 1 }
        let (data, response, error) = Self.perform(request)
        if let error { throw Failure(status: nil, code: nil, message: "\(name) at \(base) could not be reached: \(error.localizedDescription)") }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let decoded = data.flatMap { try? JSONDecoder().decode(Value.self, from: $0) } ?? .object([:])
        guard (200..<300).contains(status) else {
            throw Failure(status: status, code: decoded["error"]?.stringValue, message: Self.describe(status: status, code: decoded["error"]?.stringValue, message: decoded["error_description"]?.stringValue ?? "", name: name, base: base))
        }
        return decoded
    }

    /// Methods whose repetition has the effect of one request.
    static let idempotentMethods: Set<String> = ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]

    /// Whether `error` means the request never reached the server.
    static func neverSent(_ error: any Error) -> Bool {
        guard let code = (error as? URLError)?.code else { return false }
        return [.cannotConnectToHost, .cannotFindHost, .dnsLookupFailed, .notConnectedToInternet].contains(code)
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

    static func perform(_ request: URLRequest) -> (Data?, URLResponse?, (any Error)?) {
        let semaphore = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: (Data?, URLResponse?, (any Error)?) = (nil, nil, nil)
        let task = URLSession.shared.dataTask(with: request) { data, response, error in
            result = (data, response, error)
            semaphore.signal()
        }
        task.resume()
        semaphore.wait()
        return result
    }
}
