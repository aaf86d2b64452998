import Foundation
import Testing
import Model
import TestSupport
@testable import SQLiteState

@Suite struct SQLiteStateStoreTests {
    func store(_ dir: TemporaryDirectory) throws -> SQLiteStateStore {
        try SQLiteStateStore(path: dir.url.appendingPathComponent("state/state.db").path, displayPath: "state.db")
    }

    let lock = LockInfo(owner: "ana", pid: 42, host: "h1", processStart: "123", since: Date(timeIntervalSince1970: 1_000_000), command: "apply")

    @Test func journalAndInventoryMoveTogether() async throws {
        let dir = try TemporaryDirectory()
        let store = try store(dir)
        let table = ResourceID(.table, "main.s.t"), grants = ResourceID(.grants, "table:main.s.t")
        let id = try store.startApply("dev", revision: "abc", planDigest: "d1", actor: "ana", kind: .apply, changes: [(table, .create), (grants, .create), (ResourceID(.catalog, "x"), .delete)])
        try store.changeStarted(id, position: 0)
        try store.changeApplied(id, position: 0, environment: "dev", inventory: table, entry: .init(protected: true), applied: AppliedChange(tableVersion: 4))
        try store.changeStarted(id, position: 1)
        try store.changeApplied(id, position: 1, environment: "dev", inventory: grants, entry: .init(principals: ["a", "b"]), applied: .done)
        try store.changeStarted(id, position: 2)

        // A second connection (the next process) sees exactly what was committed.
        let reader = try self.store(dir)
        let running = try #require(try reader.history("dev", limit: 5).first)
        #expect(running.outcome == .running)
        #expect(running.changes.map(\.status) == [.applied, .applied, .started])
        #expect(running.changes.map(\.tableVersion) == [4, nil, nil], "the table version the apply produced is remembered")
        #expect(try reader.inventory("dev").entries == [table: .init(protected: true), grants: .init(principals: ["a", "b"])])

        try reader.finishApply(id, outcome: .interrupted)
        let closed = try #require(try store.history("dev", limit: 5).first)
        #expect(closed.outcome == .interrupted)
        #expect(closed.changes.map(\.status) == [.applied, .applied, .interrupted])
        #expect(closed.finishedAt != nil)
        #expect(try await store.lastSuccessfulApply("dev") == nil)
    }

    /// The inventory is what the rows say now: after this connection's changes, another
    /// connection's commits (another process, a plain `sqlite3` edit) and the journal's
    /// settling. (A guard for any cache of it, which must never serve a stale one.)
    @Test func inventoryIsReadAgainWhenTheStoreChanged() throws {
        let dir = try TemporaryDirectory()
        let store = try store(dir), other = try self.store(dir)
        let table = ResourceID(.table, "main.s.t"), grants = ResourceID(.grants, "table:main.s.t")
        #expect(try store.inventory("dev").entries.isEmpty)

        // This connection's own change.
        let id = try store.startApply("dev", revision: "a", planDigest: "d", actor: "a", kind: .apply, changes: [(table, .create), (grants, .create)])
        try store.changeApplied(id, position: 0, environment: "dev", inventory: table, entry: .init(protected: true), applied: .done)
        #expect(try store.inventory("dev").entries == [table: .init(protected: true)])
        #expect(try store.inventory("dev").entries == [table: .init(protected: true)], "unchanged: the same")

        // Another connection's commit.
        try other.changeApplied(id, position: 1, environment: "dev", inventory: grants, entry: .init(principals: ["a"]), applied: .done)
        #expect(try store.inventory("dev").entries == [table: .init(protected: true), grants: .init(principals: ["a"])])

        // Another process's plain edit of the file.
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sqlite.arguments = ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"UPDATE inventory SET protected = 0\"); c.commit()",
                            dir.url.appendingPathComponent("state/state.db").path]
        try sqlite.run()
        sqlite.waitUntilExit()
        #expect(sqlite.terminationStatus == 0)
        #expect(try store.inventory("dev").entries[table] == .init(protected: false))
        #expect(try store.inventory("prod").entries.isEmpty, "each environment its own")

        // Another connection commits between this one's read and its own write: the
        // next read has both changes.
        let third = ResourceID(.table, "main.s.u")
        let next = try store.startApply("dev", revision: "b", planDigest: "d", actor: "a", kind: .apply, changes: [(third, .create), (table, .delete)])
        _ = try store.inventory("dev")
        try other.changeApplied(id, position: 0, environment: "dev", inventory: table, entry: nil, applied: .done)
        try store.changeApplied(next, position: 0, environment: "dev", inventory: third, entry: .init(), applied: .done)
        #expect(try store.inventory("dev").entries == [grants: .init(principals: ["a"]), third: .init()])

        // Settling the journal changes the inventory through the same path.
        try store.resolve(Intent(apply: next, position: 1, resource: grants, action: .delete), environment: "dev", effect: .remove)
        #expect(try store.inventory("dev").entries == [third: .init()])
        try store.resolve(Intent(apply: next, position: 1, resource: table, action: .create), environment: "dev", effect: .set(.init(protected: true)))
        #expect(try store.inventory("dev").entries == [third: .init(), table: .init(protected: true)])
        #expect(try other.inventory("dev").entries == [third: .init(), table: .init(protected: true)], "as the rows say")
    }

    @Test func historyIsNewestFirstPerEnvironment() async throws {
        let dir = try TemporaryDirectory()
        let store = try store(dir)
        for (revision, outcome) in [("r1", ApplyRecord.Outcome.succeeded), ("r2", .failed), ("r3", .succeeded)] {
            let id = try store.startApply("dev", revision: revision, planDigest: "d", actor: "a", kind: .apply, changes: [])
            try store.finishApply(id, outcome: outcome)
        }
        _ = try store.startApply("prod", revision: "p1", planDigest: "d", actor: "a", kind: .apply, changes: [])
        #expect(try store.history("dev", limit: 10).map(\.revision) == ["r3", "r2", "r1"])
        #expect(try store.history("dev", limit: 2).count == 2)
        #expect(try await store.lastSuccessfulApply("dev")?.revision == "r3")
        #expect(try store.history("prod", limit: 10).map(\.outcome) == [.running])
    }

    @Test func oneLockHolderAtATime() throws {
        let dir = try TemporaryDirectory()
        let store = try store(dir)
        #expect(try store.acquireLock("dev", lock) == nil)
        var other = lock
        other.pid = 43
        #expect(try store.acquireLock("dev", other) == lock, "the second caller learns who holds it")
        #expect(try store.acquireLock("prod", other) == nil, "locks are per environment")
        try store.releaseLock("dev", pid: 43)
        #expect(try store.currentLock("dev") == lock, "only the holder releases")
        try store.releaseLock("dev", pid: 42)
        #expect(try store.currentLock("dev") == nil)
    }

    @Test func holds() throws {
        let dir = try TemporaryDirectory()
        let store = try store(dir)
        let hold = Hold(environment: "prod", reason: "rolled back", revision: "r1", actor: "ana", since: Date(timeIntervalSince1970: 5))
        try store.setHold(hold)
        #expect(try store.hold("prod") == hold)
        #expect(try store.hold("dev") == nil)
        try store.releaseHold("prod")
        #expect(try store.hold("prod") == nil)
    }
}
