import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
#if canImport(Glibc)
import Glibc
#endif

/// The watch server's bounds: how many connections it serves at once (more wait in
/// the listen backlog, unread, until one closes), how long one may sit idle, and how
/// large a request's headers may be. A client that opens connections and sends
/// nothing is cut off after the idle timeout, so it cannot hold the slots `/healthz`
/// needs.
public struct ServerLimits: Sendable {
    public var maxConnections: Int
    public var idleTimeout: TimeAmount
    /// A connection must send a whole request head this soon after it opens (or after
    /// its previous request), and a whole request this soon after its head: a client
    /// that drips bytes cannot hold a connection for long.
    public var headTimeout: TimeAmount
    public var requestTimeout: TimeAmount
    public var maxHeaderBytes: Int
    public var maxHeaderCount: Int

    public init(maxConnections: Int = 4096, idleTimeout: TimeAmount = .seconds(30), headTimeout: TimeAmount = .seconds(10),
                requestTimeout: TimeAmount = .seconds(30), maxHeaderBytes: Int = 32 << 10, maxHeaderCount: Int = 100) {
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.headTimeout = headTimeout
        self.requestTimeout = requestTimeout
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
    }

    /// These limits within what the process may open: the soft limit on open files is
    /// raised to the hard one (up to 65,536), and the connection cap kept 128 below it
    /// (the mirror, the lakehouse and the store need descriptors too).
    func fitted(logger: Logger) -> ServerLimits {
        var limits = self
        var files = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &files) == 0 else { return limits }
        let wanted = min(files.rlim_max, 65_536)
        if files.rlim_cur < wanted {
            var raised = files
            raised.rlim_cur = wanted
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { files = raised }
        }
        let available = Int(files.rlim_cur) - 128
        if limits.maxConnections > available {
            limits.maxConnections = max(16, available)
            logger.warning("--max-connections lowered to \(limits.maxConnections): this process may open \(files.rlim_cur) files")
        }
        return limits
    }

    /// The HTTP/1 server these limits describe.
    func server() -> HTTPServerBuilder {
        let (head, request) = (headTimeout, requestTimeout)
        return .http1(configuration: .init(
            additionalChannelHandlers: [RequestDeadline(head: head, request: request)],
            idleTimeout: idleTimeout,
            httpDecoderConfiguration: .init(maxHeaderFieldSize: maxHeaderBytes, maxHeaderListSize: maxHeaderBytes, maxHeaderFieldCount: maxHeaderCount)))
    }

    /// The application's configuration with the connection cap.
    func configuration(host: String, port: Int, logger: Logger) -> ApplicationConfiguration {
        ApplicationConfiguration(address: .hostname(host, port: port), serverName: "reconcile",
                                 availableConnectionsDelegate: .maximum(maxConnections, logger: logger))
    }
}

/// Closes a connection whose request head, or whole request, does not arrive in time.
/// It sits after the HTTP decoder: it sees a head only once it is complete.
final class RequestDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    let head: TimeAmount
    let request: TimeAmount
    private var timer: Scheduled<Void>?

    init(head: TimeAmount, request: TimeAmount) {
        self.head = head
        self.request = request
    }

    func handlerAdded(context: ChannelHandlerContext) { arm(context, head) }

    func handlerRemoved(context: ChannelHandlerContext) { timer?.cancel() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: arm(context, request)
        case .end: arm(context, request)
        case .body: break
        }
        context.fireChannelRead(data)
    }

    private func arm(_ context: ChannelHandlerContext, _ after: TimeAmount) {
        timer?.cancel()
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: after) { bound.value.close(promise: nil) }
    }
}

