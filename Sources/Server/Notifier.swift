import AsyncHTTPClient
import Foundation
import Logging
import Model
import NIOCore

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
            guard URL(string: url) != nil else { continue }
            let (attempts, timeout, logger) = (self.attempts, self.timeout, self.logger)
            Task.detached {
                for attempt in 1...attempts {
                    var request = HTTPClientRequest(url: url)
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(bytes: body))
                    do {
                        let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
                        _ = try? await response.body.collect(upTo: 64 << 10)
                        if (200..<300).contains(Int(response.status.code)) { return }
                        logger.warning("notification answered \(response.status.code)", metadata: ["url": "\(Self.redact(url))", "attempt": "\(attempt)"])
                    } catch {
                        logger.warning("notification failed: \(error)", metadata: ["url": "\(Self.redact(url))", "attempt": "\(attempt)"])
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
