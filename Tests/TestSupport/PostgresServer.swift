import Foundation
import Synchronization

/// A PostgreSQL server from Debian's packages (`scripts/setup --python` installs it),
/// one per test process: initdb into a temporary directory as an unprivileged user
/// (`postgres` when the tests run as root: initdb refuses root), listening on
/// loopback only, trust authentication for its one user. A watchdog stops it when the
/// test process exits, however that happens. Each test takes a database of its own.
public final class PostgresServer: Sendable {
    public let port: Int
    let directory: String
    let binaries: String
    let runAs: [String]
    private static let shared = Mutex<Result<PostgresServer, TestFailure>?>(nil)
    private let databases = Mutex(0)

    /// The process's server, started on first use.
    public static func start() throws -> PostgresServer {
        try shared.withLock { started in
            if let started { return try started.get() }
            let result = Result { () throws(TestFailure) in try PostgresServer() }
            started = result
            return try result.get()
        }
    }

    private init() throws(TestFailure) {
        guard let version = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql"))?.sorted().last else {
            throw TestFailure("PostgreSQL's server is not installed (/usr/lib/postgresql); run scripts/setup --python")
        }
        binaries = "/usr/lib/postgresql/\(version)/bin"
        port = FreePort.next()
        directory = NSTemporaryDirectory() + "reconcile-postgres-\(getpid())-\(port)"
        runAs = getuid() == 0 ? ["runuser", "-u", "postgres", "--"] : []
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            if getuid() == 0 { _ = try Shell.check("chown", ["postgres", directory]) }
            let command = runAs + ["\(binaries)/initdb", "-D", directory + "/data", "-U", "reconcile", "-A", "trust", "--no-sync", "-E", "UTF8"]
            let initdb = try Shell.run(command[0], Array(command.dropFirst()))
            guard initdb.code == 0 else { throw TestFailure("initdb failed: \(initdb.output)") }
        } catch let error as TestFailure {
            throw error
        } catch {
            throw TestFailure("cannot prepare PostgreSQL in \(directory): \(error)")
        }
        // The server, and a watchdog that stops it (fast shutdown) once this process is gone.
        let server = (runAs + ["\(binaries)/postgres", "-D", directory + "/data", "-p", "\(port)", "-k", directory,
                               "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"])
            .map { "'\($0)'" }.joined(separator: " ")
        // (runuser does not pass signals on: the postmaster's own pid is in postmaster.pid.)
        let watchdog = "\(server) >'\(directory)/log' 2>&1 & PG=$!; while kill -0 \(getpid()) 2>/dev/null && kill -0 $PG 2>/dev/null; do sleep 0.5; done; "
            + "kill -INT $(head -1 '\(directory)/data/postmaster.pid') 2>/dev/null; wait $PG; rm -rf '\(directory)'"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        process.arguments = ["sh", "-c", watchdog]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { throw TestFailure("cannot start PostgreSQL: \(error)") }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let ready = try? Shell.run("\(binaries)/pg_isready", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "reconcile"]), ready.code == 0 { return }
            usleep(100_000)
        }
        let log = (try? String(contentsOfFile: directory + "/log", encoding: .utf8)) ?? ""
        throw TestFailure("PostgreSQL did not start on port \(port): \(log.suffix(2000))")
    }

    /// A new, empty database: its URL and name.
    public func database() throws -> (url: String, name: String) {
        let name = "test_\(databases.withLock { $0 += 1; return $0 })"
        _ = try sql("CREATE DATABASE \(name)", database: "postgres")
        return (url(name), name)
    }

    public func url(_ database: String) -> String { "postgres://reconcile@127.0.0.1:\(port)/\(database)" }

    /// Runs `statement` with psql (unaligned, tuples only) and returns what it printed.
    @discardableResult
    public func sql(_ statement: String, database: String) throws -> String {
        let result = try Shell.run("\(binaries)/psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "reconcile", "-d", database, "-v", "ON_ERROR_STOP=1", "-At", "-c", statement])
        guard result.code == 0 else { throw TestFailure("psql failed: \(result.output)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
