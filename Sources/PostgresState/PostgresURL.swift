import Foundation
import Model

/// A PostgreSQL connection URL, as libpq writes it:
/// `postgres://user:password@host:5432/database?sslmode=disable`, or a Unix socket
/// directory `postgres://user@/database?host=/var/run/postgresql`. Pure.
public struct PostgresURL: Sendable, Hashable {
    public enum TLSMode: String, Sendable, Hashable {
        /// Plain text: only what the URL asks for, or loopback and Unix sockets by default.
        case disable
        /// Encrypted, certificate not checked (libpq's `require`).
        case require
        /// Encrypted, certificate and host name checked: the default beyond this host.
        case verifyFull = "verify-full"
    }

    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    /// The directory of a Unix socket (`?host=/dir`), instead of TCP.
    public var socketDirectory: String?
    public var database: String
    public var tls: TLSMode

    /// The URL without its password: what messages and `reconcile history` show.
    public var display: String {
        let target = socketDirectory.map { "@/\(database)?host=\($0)" } ?? "@\(host):\(port)/\(database)"
        return "postgres://\(user)\(target)"
    }

    /// The socket file libpq would use in `socketDirectory`.
    public var socketPath: String? { socketDirectory.map { "\($0)/.s.PGSQL.\(port)" } }

    public static func parse(_ text: String) throws(TargetError) -> PostgresURL {
        func failure(_ why: String) -> TargetError {
            TargetError(nil, "the state store's PostgreSQL URL \(why); write it as postgres://user:password@host:5432/database")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme) else {
            throw failure("is not a postgres:// URL")
        }
        guard let user = components.user.flatMap({ $0.removingPercentEncoding ?? $0 }), !user.isEmpty else { throw failure("names no user") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw failure("names no database (the path after the host)") }
        var socket: String?
        var tls: TLSMode?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "host": socket = item.value
            case "sslmode":
                guard let value = item.value, let mode = TLSMode(rawValue: value) else {
                    throw failure("has sslmode \"\(item.value ?? "")\"; use disable, require or verify-full")
                }
                tls = mode
            default:
                throw failure("has the parameter \"\(item.name)\", which reconcile does not read (it reads host and sslmode)")
            }
        }
        if let socket, !socket.hasPrefix("/") { throw failure("has host=\(socket), which is not a socket directory (an absolute path)") }
        let host = components.host ?? ""
        guard socket != nil || !host.isEmpty else { throw failure("names no host") }
        let local = socket != nil || ["127.0.0.1", "::1", "localhost"].contains(host)
        return PostgresURL(user: user, password: components.password.flatMap { $0.removingPercentEncoding ?? $0 }, host: host,
                           port: components.port ?? 5432, socketDirectory: socket, database: database,
                           tls: tls ?? (local ? .disable : .verifyFull))
    }
}
