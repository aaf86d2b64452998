import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import Model

/// Posts notifications as JSON (with a Slack-compatible `text`) to webhook URLs.
/// Each delivery runs on its own task with a timeout and retries with backoff, so a
/// slow or dead receiver never holds up reconciling.
public struct Notifier: Sendable {
    public let urls: [String]
    public let attempts: Int
    public let timeout: Double
    let logger: Logger

    public init(urls: [String], attempts: Int = 4, timeout: Double = 5, logger: Logger) {
        self.urls = urls
        self.attempts = attempts
        self.timeout = timeout
        self.logger = logger
    }

    public func send(_ notification: Notification) {
        guard !urls.isEmpty else { return }
        var payload: [String: Value] = [
            "text": .string(notification.text), "event": .string(notification.event.rawValue),
            "environment": .string(notification.environment), "timestamp": .string(LockInfo.format(Date())),
        ]
        if let revision = notification.revision { payload["revision"] = .string(revision) }
        let body = (try? JSONEncoder().encode(Value.object(payload))) ?? Data()
        for url in urls {
            guard let target = URL(string: url) else { continue }
            let (attempts, timeout, logger) = (self.attempts, self.timeout, self.logger)
            Task.detached {
                for attempt in 1...attempts {
                    var request = URLRequest(url: target, timeoutInterval: timeout)
                    request.httpMethod = "POST"
                    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                    request.httpBody = body
                    do {
                        let (_, response) = try await URLSession.shared.data(for: request)
                        if let http = response as? HTTPURLResponse, (200..<300).contains(http.statusCode) { return }
                        logger.warning("notification answered \((response as? HTTPURLResponse)?.statusCode ?? 0)", metadata: ["url": "\(Self.redact(url))", "attempt": "\(attempt)"])
                    } catch {
                        logger.warning("notification failed: \(error.localizedDescription)", metadata: ["url": "\(Self.redact(url))", "attempt": "\(attempt)"])
                    }
                    if attempt < attempts { try? await Task.sleep(nanoseconds: UInt64(pow(2, Double(attempt - 1)) * 500_000_000)) }
                }
            }
        }
    }

    /// Webhook URLs often carry a secret in their path: log only the host.
    static func redact(_ url: String) -> String {
        URL(string: url).map { "\($0.scheme ?? "http")://\($0.host ?? "?")/…" } ?? "(invalid url)"
    }
}
