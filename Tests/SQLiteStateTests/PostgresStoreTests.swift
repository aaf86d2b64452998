import Foundation
import Testing
import Model
import TestSupport
@testable import PostgresState

/// What only the PostgreSQL store does (#16): a lock whose holder's liveness is the
/// database's answer, URLs that never show their password.
@Suite struct PostgresStoreTests {
    let lock = LockInfo(owner: "ana", pid: 42, host: "another-host", processStart: "123", since: Date(timeIntervalSince1970: 1_000_000), command: "apply")

    @Test func aHolderIsAliveExactlyWhileItsSessionLasts() async throws {
        let url = try PostgresURL.parse(try PostgresServer.start().database().url)
        var holder: PostgresStateStore? = PostgresStateStore(url: url)
        let other = PostgresStateStore(url: url)
        #expect(try await holder!.acquireLock("dev", lock) == nil)
        var mine = lock
        mine.owner = "ben"
        mine.pid = 7
        let found = try #require(try await other.acquireLock("dev", mine))
        #expect(found == lock)
        #expect(try await other.liveness(of: found, environment: "dev") == .alive, "on another host, yet provably alive: its session holds the lock")
        #expect(try await other.replaceLock("dev", expected: mine, with: mine) == lock, "a takeover of a live holder's row is refused")

        // The holder's process dies: its connection closes, the database ends the session.
        holder = nil
        var liveness = LockLiveness.alive
        for _ in 0..<50 where liveness == .alive {
            try await Task.sleep(for: .milliseconds(100))
            liveness = try #require(try await other.liveness(of: found, environment: "dev"))
        }
        #expect(liveness == .dead)
        let taker = try #require(try await other.acquireLock("dev", mine), "the advisory lock is free; the dead holder's row remains")
        #expect(taker == lock)
        #expect(try await other.replaceLock("dev", expected: lock, with: mine) == nil)
        #expect(try await other.currentLock("dev") == mine)
        #expect(try await other.liveness(of: mine, environment: "dev") == .dead, "this session's own lock is not another live holder")
        try await other.releaseLock("dev", pid: 7)
        #expect(try await other.currentLock("dev") == nil)
        _ = holder
    }

    @Test func urls() throws {
        let tcp = try PostgresURL.parse("postgres://rec%40onc:p%40ss@db.example.com:6543/state?sslmode=require")
        #expect(tcp.user == "rec@onc" && tcp.password == "p@ss" && tcp.host == "db.example.com" && tcp.port == 6543 && tcp.database == "state" && tcp.tls == .require)
        #expect(tcp.display == "postgres://rec@onc@db.example.com:6543/state", "no password in what is shown")
        #expect(try PostgresURL.parse("postgresql://u@db.internal/s").tls == .verifyFull, "beyond this host, certificates are checked by default")
        #expect(try PostgresURL.parse("postgres://u@127.0.0.1/s").tls == .disable)
        let socket = try PostgresURL.parse("postgres://u@/s?host=/var/run/postgresql")
        #expect(socket.socketPath == "/var/run/postgresql/.s.PGSQL.5432")
        for (bad, why) in [("mysql://u@h/d", "is not a postgres:// URL"), ("postgres://h/d", "names no user"), ("postgres://u@h", "names no database"),
                           ("postgres://u@h/d?sslmode=maybe", "has sslmode \"maybe\""), ("postgres://u@h/d?application_name=x", "does not read"),
                           ("postgres://u@/d?host=relative", "not a socket directory")] {
            let error = #expect(throws: TargetError.self) { try PostgresURL.parse(bad) }
            #expect(error?.message.contains(why) == true, "\(bad): \(error?.message ?? "")")
        }
    }
}
