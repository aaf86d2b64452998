import Foundation
import Logging
import Model
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Runtime
import Synchronization

/// The state store in PostgreSQL (`spec.state.postgres`), for replicas and CI runners
/// that share history: the same records as the SQLite store, in tables reconcile
/// creates and migrates itself (`reconcile_schema` holds the version).
///
/// The apply lock is a session-level advisory lock on this store's one connection,
/// plus a row naming the holder for messages. The database releases the advisory lock
/// when the holder's session ends, however it ends, so a holder is alive exactly when
/// some other session holds the lock: no process-liveness guess, on any host.
///
/// One connection per store, opened on first use: every write is a transaction on it,
/// and if it drops, the writes fail rather than continue without the lock.
public final class PostgresStateStore: StateStore, Sendable {
    public let location: String
    public let url: PostgresURL
    private let password: String?
    let logger: Logger
    private let state = Mutex<Task<PostgresConnection, any Error>?>(nil)
    private let opened = Mutex<PostgresConnection?>(nil)

    /// `url` as written (its password may come from `password`, resolved from a
    /// reference); nothing connects until the first call.
    public init(url: PostgresURL) {
        self.url = url
        password = url.password
        location = url.display
        var logger = Logger(label: "reconcile.state.postgres")
        logger.logLevel = .critical
        self.logger = logger
    }

    deinit {
        // The session ends with the connection, and any advisory lock it held with it.
        // The closure keeps the connection until it is closed (postgres-nio requires that).
        if let connection = opened.withLock({ $0 }) {
            let closing: EventLoopFuture<Void> = connection.close()
            closing.whenComplete { _ in withExtendedLifetime(connection) {} }
        }
    }

    /// The connection, opened (and the schema migrated) by the first caller; the others wait for it.
    func connection() async throws(TargetError) -> PostgresConnection {
        let task = state.withLock { task in
            if let task { return task }
            let url = self.url, password = self.password, logger = self.logger
            let started = Task { () async throws -> PostgresConnection in
                let connection = try await PostgresConnection.connect(configuration: try Self.configuration(url, password: password), id: 1, logger: logger)
                do {
                    try await PostgresSchema.migrate(connection, logger: logger)
                } catch {
                    try? await connection.close()
                    throw error
                }
                return connection
            }
            task = started
            return started
        }
        do {
            let connection = try await task.value
            opened.withLock { $0 = connection }
            return connection
        } catch let error as TargetError {
            throw error
        } catch {
            throw failure(error, doing: "connecting to")
        }
    }

    static func configuration(_ url: PostgresURL, password: String?) throws -> PostgresConnection.Configuration {
        if let path = url.socketPath {
            return PostgresConnection.Configuration(unixSocketPath: path, username: url.user, password: password, database: url.database)
        }
        let tls: PostgresConnection.Configuration.TLS
        switch url.tls {
        case .disable: tls = .disable
        case .require:
            var settings = TLSConfiguration.makeClientConfiguration()
            settings.certificateVerification = .none
            tls = .require(try NIOSSLContext(configuration: settings))
        case .verifyFull:
            tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(host: url.host, port: url.port, username: url.user, password: password, database: url.database, tls: tls)
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }

    /// An error in words: the server's message where it sent one (never the password,
    /// which postgres-nio keeps out of its descriptions).
    func failure(_ error: any Error, doing what: String) -> TargetError {
        if let error = error as? TargetError { return error }
        if let transaction = error as? PostgresTransactionError {
            return failure(transaction.closureError ?? transaction.beginError ?? transaction.commitError ?? transaction.rollbackError ?? error, doing: what)
        }
        if let error = error as? PSQLError {
            let server = error.serverInfo.flatMap { info in info[.message].map { message in (info[.sqlState].map { "\($0): " } ?? "") + message } }
            return TargetError(nil, "state store \(location): \(what) PostgreSQL failed: \(server ?? "\(error.code)")")
        }
        return TargetError(nil, "state store \(location): \(what) PostgreSQL failed: \(error)")
    }

    /// Runs `body` on the connection; errors in words.
    func run<T: Sendable>(_ what: String, _ body: (PostgresConnection) async throws -> T) async throws(TargetError) -> T {
        let connection = try await connection()
        do { return try await body(connection) } catch { throw failure(error, doing: what) }
    }

    /// Runs `body` in one transaction, then passes the fault-injection point the SQLite
    /// store passes after each commit (the crash tests kill there).
    func write<T: Sendable>(_ what: String, _ body: (PostgresConnection) async throws -> T) async throws(TargetError) -> T {
        let connection = try await connection()
        let logger = self.logger
        let result: T
        do {
            result = try await connection.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch {
            throw failure(error, doing: what)
        }
        FaultInjection.step("state store transaction")
        return result
    }
}
