import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// The watch server's bounds: how many connections it serves at once (more wait in
/// the listen backlog, unread, until one closes), how long one may sit idle, and how
/// large a request's headers may be. A client that opens connections and sends
/// nothing is cut off after the idle timeout, so it cannot hold the slots `/healthz`
/// needs.
public struct ServerLimits: Sendable {
    public var maxConnections: Int
    public var idleTimeout: TimeAmount
    public var maxHeaderBytes: Int
    public var maxHeaderCount: Int

    public init(maxConnections: Int = 256, idleTimeout: TimeAmount = .seconds(30), maxHeaderBytes: Int = 32 << 10, maxHeaderCount: Int = 100) {
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
    }

    /// The HTTP/1 server these limits describe.
    func server() -> HTTPServerBuilder {
        .http1(configuration: .init(
            idleTimeout: idleTimeout,
            httpDecoderConfiguration: .init(maxHeaderFieldSize: maxHeaderBytes, maxHeaderListSize: maxHeaderBytes, maxHeaderFieldCount: maxHeaderCount)))
    }

    /// The application's configuration with the connection cap.
    func configuration(host: String, port: Int, logger: Logger) -> ApplicationConfiguration {
        ApplicationConfiguration(address: .hostname(host, port: port), serverName: "reconcile",
                                 availableConnectionsDelegate: .maximum(maxConnections, logger: logger))
    }
}
