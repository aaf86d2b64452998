import Foundation
import Testing
import Model
import TestSupport
import PostgresState
import SQLiteState

/// The same store tests against both stores (#16): SQLite in a temporary directory,
/// PostgreSQL from Debian's packages on loopback, a database per test.
@Suite struct StateStoreContractTests {
    /// Opens stores on one location: each call is another connection (another process).
    struct Location {
        let open: () throws -> any StateStore
        let keep: Any?
        /// Runs SQL on the store behind reconcile's back (a damaged or newer row).
        var sql: (String) throws -> Void = { _ in }
    }

    static func location(_ kind: String) throws -> Location {
        switch kind {
        case "sqlite":
            let dir = try TemporaryDirectory()
            let path = dir.url.appendingPathComponent("state/state.db").path
            return Location(open: { try SQLiteStateStore(path: path, displayPath: "state.db") }, keep: dir, sql: { statement in
                let result = try Shell.run("python3", ["-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()", path, statement])
                guard result.code == 0 else { throw TestFailure("sqlite3: \(result.output)") }
            })
        default:
            let server = try PostgresServer.start(), database = try server.database()
            return Location(open: { PostgresStateStore(url: try PostgresURL.parse(database.url)) }, keep: nil, sql: { try server.sql($0, database: database.name) })
        }
    }

    let lock = LockInfo(owner: "ana", pid: 42, host: "h1", processStart: "123", since: Date(timeIntervalSince1970: 1_000_000), command: "apply")

    /// A row this version cannot read stops the read with the store and the row named:
    /// never skipped (a resource left unowned and unprotected, an interrupted change left
    /// unsettled) and never given a default (history misstated).
    @Test(arguments: ["sqlite", "postgres"]) func aRowThatDoesNotReadIsAnErrorNeverSkipped(_ kind: String) async throws {
        let location = try Self.location(kind)
        let store = try location.open()
        let table = ResourceID(.table, "main.s.t")
        let id = try await store.startApply("dev", revision: "abc", planDigest: "d1", actor: "ana", kind: .apply, changes: [(table, .create)])
        try await store.changeStarted(id, position: 0)
        try await store.changeApplied(id, position: 0, environment: "dev", inventory: table, entry: .init(protected: true), applied: .done)
        try await store.finishApply(id, outcome: .interrupted)

        try location.sql("UPDATE inventory SET resource = 'Tabel/main.s.t'")
        await #expect { try await store.inventory("dev") } throws: { "\($0)".contains("an inventory row of dev names a resource that is \"Tabel/main.s.t\"") }
        try location.sql("UPDATE inventory SET resource = 'Table/main.s.t'")
        #expect(try await store.inventory("dev").entries[table]?.protected == true)

        try location.sql("UPDATE applies SET outcome = 'paused'")
        await #expect { try await store.history("dev", limit: 5) } throws: { "\($0)".contains("the outcome of apply \(id) is \"paused\"") }
        try location.sql("UPDATE applies SET outcome = 'interrupted'")
        try location.sql("UPDATE apply_changes SET action = 'explode'")
        await #expect { try await store.unresolvedIntents("dev", includeRunning: false) } throws: { "\($0)".contains("the action of change 0 of apply \(id) in the journal is \"explode\"") }
        await #expect { try await store.history("dev", limit: 5) } throws: { "\($0)".contains("does not guess what a row meant") }
    }

    @Test(arguments: ["sqlite", "postgres"]) func journalAndInventoryMoveTogether(_ kind: String) async throws {
        let location = try Self.location(kind)
        let store = try location.open()
        let table = ResourceID(.table, "main.s.t"), grants = ResourceID(.grants, "table:main.s.t")
        let id = try await store.startApply("dev", revision: "abc", planDigest: "d1", actor: "ana", kind: .apply,
                                            changes: [(table, .create), (grants, .create), (ResourceID(.catalog, "x"), .delete)])
        try await store.changeStarted(id, position: 0)
        try await store.changeApplied(id, position: 0, environment: "dev", inventory: table, entry: .init(protected: true), applied: AppliedChange(tableVersion: 4))
        try await store.changeStarted(id, position: 1)
        try await store.changeApplied(id, position: 1, environment: "dev", inventory: grants, entry: .init(principals: ["a", "b"]), applied: .done)
        try await store.changeStarted(id, position: 2)

        let reader = try location.open()
        let running = try #require(try await reader.history("dev", limit: 5).first)
        #expect(running.outcome == .running)
        #expect(running.changes.map(\.status) == [.applied, .applied, .started])
        #expect(running.changes.map(\.tableVersion) == [4, nil, nil])
        #expect(try await reader.inventory("dev").entries == [table: .init(protected: true), grants: .init(principals: ["a", "b"])])
        #expect(try await reader.unresolvedIntents("dev", includeRunning: true).map(\.position) == [0, 1, 2])
        #expect(try await reader.unresolvedIntents("dev", includeRunning: false).isEmpty)

        try await reader.finishApply(id, outcome: .interrupted)
        let closed = try #require(try await store.history("dev", limit: 5).first)
        #expect(closed.changes.map(\.status) == [.applied, .applied, .interrupted])
        #expect(closed.finishedAt != nil)
        let intents = try await store.unresolvedIntents("dev", includeRunning: false)
        #expect(intents.map(\.position) == [0, 1, 2], "applied changes of an interrupted apply are settled by observation too")
        try await store.resolve(intents[2], environment: "dev", effect: .set(.init(protected: false)))
        try await store.resolve(intents[0], environment: "dev", effect: .remove)
        #expect(try await reader.unresolvedIntents("dev", includeRunning: false).map(\.position) == [1])
        #expect(try await reader.inventory("dev").entries == [grants: .init(principals: ["a", "b"]), ResourceID(.catalog, "x"): .init()])
        #expect(try await store.lastSuccessfulApply("dev") == nil)
    }

    @Test(arguments: ["sqlite", "postgres"]) func historyIsNewestFirstPerEnvironment(_ kind: String) async throws {
        let store = try Self.location(kind).open()
        for (revision, outcome) in [("r1", ApplyRecord.Outcome.succeeded), ("r2", .failed), ("r3", .succeeded)] {
            let id = try await store.startApply("dev", revision: revision, planDigest: "d", actor: "a", kind: .apply, changes: [])
            try await store.finishApply(id, outcome: outcome)
        }
        _ = try await store.startApply("prod", revision: "p1", planDigest: "d", actor: "a", kind: .apply, changes: [])
        #expect(try await store.history("dev", limit: 10).map(\.revision) == ["r3", "r2", "r1"])
        #expect(try await store.history("dev", limit: 2).count == 2)
        #expect(try await store.lastSuccessfulApply("dev")?.revision == "r3")
        #expect(try await store.history("prod", limit: 10).map(\.outcome) == [.running])
    }

    /// The store is asked for the last successful apply alone (watch asks every cycle;
    /// reading a thousand applies with their changes grew with the history), with the
    /// same answer as the history gives, and a damaged newer row still fails (#16).
    @Test(arguments: ["sqlite", "postgres"]) func theLastSuccessfulApplyIsFoundAloneAndADamagedNewerRowFails(_ kind: String) async throws {
        let location = try Self.location(kind)
        let store = try location.open()
        let table = ResourceID(.table, "main.s.t")
        let first = try await store.startApply("dev", revision: "r1", planDigest: "d", actor: "a", kind: .apply, changes: [(table, .create)])
        try await store.finishApply(first, outcome: .succeeded)
        for (revision, kind, outcome) in [("r2", ApplyRecord.Kind.rollback, ApplyRecord.Outcome.succeeded), ("r3", .selected, .succeeded),
                                          ("r4", .destroy, .succeeded), ("r5", .apply, .failed), ("r6", .apply, .stopped)] {
            let id = try await store.startApply("dev", revision: revision, planDigest: "d", actor: "a", kind: kind, changes: [])
            try await store.finishApply(id, outcome: outcome)
        }
        _ = try await store.startApply("dev", revision: "r7", planDigest: "d", actor: "a", kind: .apply, changes: [])
        let other = try await store.startApply("prod", revision: "p1", planDigest: "d", actor: "a", kind: .apply, changes: [])
        try await store.finishApply(other, outcome: .succeeded)

        let last = try await store.lastSuccessfulApply("dev")
        #expect(last?.revision == "r2", "a rollback counts; a selection, a destroy, a failure, a stop and a running apply do not")
        #expect(try await store.runningApplies("dev").map(\.revision) == ["r7"])
        #expect(try await store.runningApplies("prod").isEmpty)
        let fromHistory = try await store.history("dev", limit: 100).first { $0.outcome == .succeeded && $0.kind != .selected && $0.kind != .destroy }
        #expect(last == fromHistory)
        try location.sql("UPDATE applies SET revision = 'r1b' WHERE revision = 'r2'")
        try location.sql("UPDATE applies SET kind = 'selected' WHERE revision = 'r1b'")
        #expect(try await store.lastSuccessfulApply("dev")?.changes.map(\.resource) == [table], "with its changes")
        try location.sql("UPDATE applies SET outcome = 'paused' WHERE revision = 'r6'")
        await #expect { try await store.lastSuccessfulApply("dev") } throws: { "\($0)".contains("is \"paused\"") }
        await #expect { try await store.runningApplies("dev") } throws: { "\($0)".contains("is \"paused\"") }
        try location.sql("UPDATE applies SET outcome = 'stopped', kind = 'sideways' WHERE revision = 'r6'")
        await #expect { try await store.lastSuccessfulApply("dev") } throws: { "\($0)".contains("is \"sideways\"") }
    }

    /// An environment belongs to the project that claimed it first; a claim never moves it.
    @Test(arguments: ["sqlite", "postgres"]) func anEnvironmentIsClaimedOnceByOneProject(_ kind: String) async throws {
        let location = try Self.location(kind)
        let store = try location.open(), other = try location.open()
        #expect(try await store.owner(of: "dev") == nil)
        #expect(try await store.claim("dev", for: "git:aaa/") == "git:aaa/")
        #expect(try await other.claim("dev", for: "git:bbb/") == "git:aaa/", "the first claim stands")
        #expect(try await other.owner(of: "dev") == "git:aaa/")
        #expect(try await other.claim("prod", for: "git:bbb/") == "git:bbb/")
        #expect(try await store.claim("dev", for: "git:aaa/") == "git:aaa/", "claiming again is harmless")
    }

    @Test(arguments: ["sqlite", "postgres"]) func locksHoldsAndTheAuditChain(_ kind: String) async throws {
        let location = try Self.location(kind)
        let first = try location.open(), second = try location.open()
        #expect(try await first.acquireLock("dev", lock) == nil)
        var other = lock
        other.pid = 43
        #expect(try await second.acquireLock("dev", other) == lock, "one holder at a time; the other is told who")
        #expect(try await second.currentLock("dev") == lock)
        #expect(try await second.acquireLock("prod", other) == nil, "environments lock apart")
        try await first.releaseLock("dev", pid: lock.pid)
        #expect(try await second.currentLock("dev") == nil)
        #expect(try await second.acquireLock("dev", other) == nil)
        #expect(try await first.replaceLock("dev", expected: lock, with: nil) == other, "a takeover of a holder that moved on is refused")

        let hold = Hold(environment: "dev", reason: "rolled back", revision: "abc", actor: "ana", since: Date(timeIntervalSince1970: 5), followed: .branch("main"))
        try await first.setHold(hold)
        #expect(try await second.hold("dev") == hold)
        try await second.releaseHold("dev")
        #expect(try await first.hold("dev") == nil)

        let event = AuditEvent(kind: .apply, environment: "dev", actor: "ana", at: Date(timeIntervalSince1970: 7), summary: "applied")
        let one = try await first.appendAudit(event) { _, sequence, previous in ("entry \(sequence) after \(previous.prefix(4))", "hash\(sequence)") }
        let two = try await second.appendAudit(event) { _, sequence, previous in ("entry \(sequence) after \(previous)", "hash\(sequence)") }
        #expect(one.sequence == 1 && two.sequence == 2)
        #expect(try await first.auditTrail().map(\.entry) == [one.entry, "entry 2 after hash1"])
    }
}
