import Foundation
import Model
import Runtime
import SQLite

/// The state store in an SQLite file (by default `<target root>/.reconcile/state.db`).
/// Each write is its own transaction, so a killed process leaves every record whole.
public final class SQLiteStateStore: StateStore {
    public let location: String
    let database: Database
    /// A file of `reserveSize` bytes kept beside the store: when the disk fills during
    /// an apply, it is given back so the store can still record the failure, how many
    /// changes were applied, and release the lock.
    private let reservePath: String
    static let reserveSize = 256 * 1024

    /// Opens the store at `path`, creating it (and its directory) if needed.
    public init(path: String, displayPath: String, busyTimeoutMilliseconds: Int32 = 10_000) throws(TargetError) {
        location = displayPath
        reservePath = (path as NSString).deletingLastPathComponent + "/.reserve"
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        } catch {
            throw TargetError(nil, "cannot create the state store's directory for \(displayPath): \(error.localizedDescription)")
        }
        do throws(SQLiteError) {
            database = try Database(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
            FaultInjection.gate("state store open")
            try database.useWriteAheadLog()
            // A bounded log: checkpoints every 200 pages and reuses the file, so a filling
            // disk meets the data first, not the journal of what was done to it.
            try database.execute("PRAGMA wal_autocheckpoint=200")
            // Created and upgraded in one write transaction: two processes opening an
            // old store at once must not both add the same column.
            try database.execute("BEGIN IMMEDIATE")
            do throws(SQLiteError) {
                try Self.migrate(database)
                try database.execute("COMMIT")
            } catch {
                try? database.execute("ROLLBACK")
                throw error
            }
        } catch {
            throw TargetError(nil, "cannot open the state store \(displayPath): \(error.message)")
        }
        Self.makeReserve(reservePath)
    }

    /// Creates the reserve if it is missing; a disk too full for it is left alone
    /// (the apply that follows will say so itself).
    static func makeReserve(_ path: String) {
        guard access(path, F_OK) != 0 else { return }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        if posix_fallocate(fd, 0, off_t(reserveSize)) != 0 {
            ftruncate(fd, 0)
            unlink(path)
        }
    }

    func run<T>(_ body: () throws(SQLiteError) -> T) throws(TargetError) -> T {
        do {
            return try body()
        } catch {
            if error.isBusy {
                throw TargetError(nil, "the state store \(location) is locked by another process for too long; run again when it finishes")
            }
            throw TargetError(nil, "state store \(location): \(error.message)")
        }
    }

    /// Runs statements in one write transaction. On a full disk the reserve is given
    /// back and the transaction tried once more, so the journal, history and lock stay
    /// true to what happened.
    func write(_ body: () throws(SQLiteError) -> Void) throws(TargetError) {
        do throws(SQLiteError) {
            try transaction(body)
        } catch {
            guard error.isFull, access(reservePath, F_OK) == 0 else { throw Self.failure(error, location) }
            unlink(reservePath)
            do throws(SQLiteError) {
                try transaction(body)
            } catch {
                throw Self.failure(error, location)
            }
        }
    }

    static func failure(_ error: SQLiteError, _ location: String) -> TargetError {
        if error.isBusy {
            return TargetError(nil, "the state store \(location) is locked by another process for too long; run again when it finishes")
        }
        if error.isFull {
            return TargetError(nil, "state store \(location): disk full (no space left on device); free space, then run again")
        }
        return TargetError(nil, "state store \(location): \(error.message)")
    }

    private func transaction(_ body: () throws(SQLiteError) -> Void) throws(SQLiteError) {
        try database.execute("BEGIN IMMEDIATE")
        do throws(SQLiteError) {
            try body()
            try database.execute("COMMIT")
            FaultInjection.step("state store transaction")
        } catch {
            try? database.execute("ROLLBACK")
            throw error
        }
    }

    // MARK: Inventory

    public func inventory(_ environment: String) throws(TargetError) -> Inventory {
        let rows = try run { () throws(SQLiteError) in
            try database.query("SELECT resource, protected, principals FROM inventory WHERE environment = ?", [.text(environment)])
        }
        var inventory = Inventory(environment: environment)
        for row in rows {
            let id = try StoredRows.value(row[0].string, ResourceID.init(parsing:), "an inventory row of \(environment) names a resource that", store: location)
            let principals = row[2].string.map { $0.isEmpty ? [] : $0.components(separatedBy: "\n") }
            inventory.entries[id] = Inventory.Entry(protected: try StoredRows.flag(row[1].int.map(Int64.init), "the protected flag of \(id) in \(environment)'s inventory", store: location),
                                                    principals: principals)
        }
        return inventory
    }

    // MARK: Lock

    public func acquireLock(_ environment: String, _ lock: LockInfo) throws(TargetError) -> LockInfo? {
        var holder: LockInfo?
        try write { () throws(SQLiteError) in
            if let existing = try lockRow(environment) {
                holder = existing
                return
            }
            try insertLock(environment, lock)
        }
        return holder
    }

    private func insertLock(_ environment: String, _ lock: LockInfo) throws(SQLiteError) {
        try database.query("INSERT INTO locks (environment, owner, pid, host, process_start, since, command, pid_namespace) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
            .text(environment), .text(lock.owner), .int(Int64(lock.pid)), .text(lock.host), .text(lock.processStart),
            .real(lock.since.timeIntervalSince1970), .text(lock.command), .text(lock.pidNamespace),
        ])
    }

    public func replaceLock(_ environment: String, expected: LockInfo, with replacement: LockInfo?) throws(TargetError) -> LockInfo? {
        var holder: LockInfo?
        try write { () throws(SQLiteError) in
            let current = try lockRow(environment)
            if let current, current != expected {
                holder = current
                return
            }
            try database.query("DELETE FROM locks WHERE environment = ?", [.text(environment)])
            if let replacement { try insertLock(environment, replacement) }
        }
        return holder
    }

    public func releaseLock(_ environment: String, pid: Int32) throws(TargetError) {
        try write { () throws(SQLiteError) in
            try database.query("DELETE FROM locks WHERE environment = ? AND pid = ?", [.text(environment), .int(Int64(pid))])
        }
    }

    public func currentLock(_ environment: String) throws(TargetError) -> LockInfo? {
        try run { () throws(SQLiteError) in try lockRow(environment) }
    }

    public func breakLock(_ environment: String) throws(TargetError) {
        try write { () throws(SQLiteError) in
            try database.query("DELETE FROM locks WHERE environment = ?", [.text(environment)])
        }
    }

    private func lockRow(_ environment: String) throws(SQLiteError) -> LockInfo? {
        guard let row = try database.query("SELECT owner, pid, host, process_start, since, command, pid_namespace FROM locks WHERE environment = ?", [.text(environment)]).first else {
            return nil
        }
        let since: Double
        if case .real(let value) = row[4] { since = value } else { since = Double(row[4].int ?? 0) }
        return LockInfo(owner: row[0].string ?? "", pid: Int32(row[1].int ?? 0), host: row[2].string ?? "",
                        processStart: row[3].string ?? "", since: Date(timeIntervalSince1970: since), command: row[5].string ?? "",
                        pidNamespace: row[6].string ?? "")
    }

    // MARK: Journal and history

    public func startApply(_ environment: String, revision: String, planDigest: String, actor: String, kind: ApplyRecord.Kind,
                           changes: [(ResourceID, Action)]) throws(TargetError) -> Int {
        var id = 0
        try write { () throws(SQLiteError) in
            try database.query("INSERT INTO applies (environment, revision, plan_digest, actor, kind, started_at, outcome) VALUES (?, ?, ?, ?, ?, ?, 'running')", [
                .text(environment), .text(revision), .text(planDigest), .text(actor), .text(kind.rawValue), .real(Date().timeIntervalSince1970),
            ])
            id = try database.query("SELECT last_insert_rowid()").first?.first?.int ?? 0
            for (position, change) in changes.enumerated() {
                try database.query("INSERT INTO apply_changes (apply_id, position, resource, action, status, error) VALUES (?, ?, ?, ?, 'pending', NULL)", [
                    .int(Int64(id)), .int(Int64(position)), .text(change.0.description), .text(change.1.rawValue),
                ])
            }
        }
        return id
    }

    private func setStatus(_ apply: Int, _ position: Int, _ status: ChangeRecord.Status, error: String? = nil) throws(SQLiteError) {
        try database.query("UPDATE apply_changes SET status = ?, error = ? WHERE apply_id = ? AND position = ?",
                           [.text(status.rawValue), SQLValue(error), .int(Int64(apply)), .int(Int64(position))])
    }

    public func changeStarted(_ apply: Int, position: Int) throws(TargetError) {
        try write { () throws(SQLiteError) in try setStatus(apply, position, .started) }
    }

    public func changeApplied(_ apply: Int, position: Int, environment: String, inventory id: ResourceID, entry: Inventory.Entry?, applied: AppliedChange) throws(TargetError) {
        try write { () throws(SQLiteError) in
            try setStatus(apply, position, .applied)
            if let version = applied.tableVersion {
                try database.query("UPDATE apply_changes SET table_version = ? WHERE apply_id = ? AND position = ?",
                                   [.int(Int64(version)), .int(Int64(apply)), .int(Int64(position))])
            }
            try database.query("DELETE FROM inventory WHERE environment = ? AND resource = ?", [.text(environment), .text(id.description)])
            if let entry {
                try database.query("INSERT INTO inventory VALUES (?, ?, ?, ?)", [
                    .text(environment), .text(id.description), SQLValue(entry.protected), SQLValue(entry.principals?.joined(separator: "\n")),
                ])
            }
        }
    }

    public func changeFailed(_ apply: Int, position: Int, error: String) throws(TargetError) {
        try write { () throws(SQLiteError) in try setStatus(apply, position, .failed, error: error) }
    }

    /// Closes an apply: what never started is marked not attempted, what started
    /// and never finished (a killed apply) interrupted.
    public func finishApply(_ apply: Int, outcome: ApplyRecord.Outcome) throws(TargetError) {
        try write { () throws(SQLiteError) in
            try database.query("UPDATE apply_changes SET status = 'not-attempted' WHERE apply_id = ? AND status = 'pending'", [.int(Int64(apply))])
            try database.query("UPDATE apply_changes SET status = 'interrupted' WHERE apply_id = ? AND status = 'started'", [.int(Int64(apply))])
            try database.query("UPDATE applies SET outcome = ?, finished_at = ? WHERE id = ?",
                               [.text(outcome.rawValue), .real(Date().timeIntervalSince1970), .int(Int64(apply))])
        }
    }

    public func history(_ environment: String, limit: Int) throws(TargetError) -> [ApplyRecord] {
        try records(environment, condition: "1", limit: limit)
    }

    public func lastSuccessfulApply(_ environment: String) throws(TargetError) -> ApplyRecord? {
        try records(environment, condition: ApplyRecord.lastSuccessfulCondition, limit: 1).first
    }

    public func runningApplies(_ environment: String) throws(TargetError) -> [ApplyRecord] {
        try records(environment, condition: ApplyRecord.runningCondition, limit: 1000)
    }

    /// The newest `limit` applies of `environment` that meet `condition` (SQL), with their changes.
    private func records(_ environment: String, condition: String, limit: Int) throws(TargetError) -> [ApplyRecord] {
        let rows = try run { () throws(SQLiteError) in
            let applies = try database.query("""
                SELECT id, revision, plan_digest, actor, kind, started_at, finished_at, outcome FROM applies
                WHERE environment = ? AND \(condition) ORDER BY id DESC LIMIT ?
                """, [.text(environment), .int(Int64(limit))])
            return try applies.map { (row: [SQLValue]) throws(SQLiteError) -> ([SQLValue], [[SQLValue]]) in
                (row, try database.query("SELECT position, resource, action, status, error, table_version FROM apply_changes WHERE apply_id = ? ORDER BY position",
                                         [.int(Int64(row[0].int ?? 0))]))
            }
        }
        return try rows.map { (row, changes) throws(TargetError) -> ApplyRecord in
            let id = row[0].int ?? 0
            let records = try changes.map { change throws(TargetError) -> ChangeRecord in
                let place = "change \(change[0].int ?? 0) of apply \(id)"
                return ChangeRecord(position: change[0].int ?? 0, resource: try StoredRows.value(change[1].string, ResourceID.init(parsing:), "the resource of \(place)", store: location),
                                    action: try StoredRows.value(change[2].string, Action.init(rawValue:), "the action of \(place)", store: location),
                                    status: try StoredRows.value(change[3].string, ChangeRecord.Status.init(rawValue:), "the status of \(place)", store: location),
                                    error: change[4].string, tableVersion: change[5].int)
            }
            return ApplyRecord(
                id: id, environment: environment, revision: row[1].string ?? "", planDigest: row[2].string ?? "", actor: row[3].string ?? "",
                kind: try StoredRows.value(row[4].string, ApplyRecord.Kind.init(rawValue:), "the kind of apply \(id)", store: location),
                startedAt: try StoredRows.value(Self.date(row[5]).map { "\($0.timeIntervalSince1970)" }, { Double($0).map(Date.init(timeIntervalSince1970:)) },
                                                "the start time of apply \(id)", store: location),
                finishedAt: Self.date(row[6]),
                outcome: try StoredRows.value(row[7].string, ApplyRecord.Outcome.init(rawValue:), "the outcome of apply \(id)", store: location), changes: records)
        }
    }

    public func unresolvedIntents(_ environment: String, includeRunning: Bool) throws(TargetError) -> [Intent] {
        let rows = try run { () throws(SQLiteError) in
            try database.query("""
                SELECT c.apply_id, c.position, c.resource, c.action FROM apply_changes c JOIN applies a ON a.id = c.apply_id
                WHERE a.environment = ? AND c.resolved = 0 AND (
                  (a.outcome != 'running' AND (c.status IN ('interrupted', 'failed') OR (c.status = 'applied' AND a.outcome = 'interrupted')))
                  OR (? AND a.outcome = 'running' AND c.status IN ('started', 'applied', 'failed')))
                ORDER BY c.apply_id, c.position
                """, [.text(environment), SQLValue(includeRunning)])
        }
        return try rows.map { row throws(TargetError) -> Intent in
            let place = "change \(row[1].int ?? 0) of apply \(row[0].int ?? 0) in the journal"
            return Intent(apply: Int(row[0].int ?? 0), position: Int(row[1].int ?? 0),
                          resource: try StoredRows.value(row[2].string, ResourceID.init(parsing:), "the resource of \(place)", store: location),
                          action: try StoredRows.value(row[3].string, Action.init(rawValue:), "the action of \(place)", store: location))
        }
    }

    public func resolve(_ intent: Intent, environment: String, effect: InventoryEffect) throws(TargetError) {
        try write { () throws(SQLiteError) in
            try database.query("UPDATE apply_changes SET resolved = 1 WHERE apply_id = ? AND position = ?", [.int(Int64(intent.apply)), .int(Int64(intent.position))])
            switch effect {
            case .keep: break
            case .remove:
                try database.query("DELETE FROM inventory WHERE environment = ? AND resource = ?", [.text(environment), .text(intent.resource.description)])
            case .set(let entry):
                try database.query("INSERT OR REPLACE INTO inventory VALUES (?, ?, ?, ?)", [
                    .text(environment), .text(intent.resource.description), SQLValue(entry.protected), SQLValue(entry.principals?.joined(separator: "\n")),
                ])
            }
        }
    }

    static func date(_ value: SQLValue) -> Date? {
        switch value {
        case .real(let seconds): return Date(timeIntervalSince1970: seconds)
        case .int(let seconds): return Date(timeIntervalSince1970: Double(seconds))
        default: return nil
        }
    }

    // MARK: Holds

    public func hold(_ environment: String) throws(TargetError) -> Hold? {
        try run { () throws(SQLiteError) in
            try database.query("SELECT reason, revision, actor, since, followed FROM holds WHERE environment = ?", [.text(environment)]).first.map {
                Hold(environment: environment, reason: $0[0].string ?? "", revision: $0[1].string ?? "", actor: $0[2].string ?? "",
                     since: Self.date($0[3]) ?? Date(timeIntervalSince1970: 0), followed: $0[4].string.flatMap(SourceSpec.init(storedText:)))
            }
        }
    }

    public func setHold(_ hold: Hold) throws(TargetError) {
        try write { () throws(SQLiteError) in
            try database.query("INSERT OR REPLACE INTO holds (environment, reason, revision, actor, since, followed) VALUES (?, ?, ?, ?, ?, ?)", [
                .text(hold.environment), .text(hold.reason), .text(hold.revision), .text(hold.actor), .real(hold.since.timeIntervalSince1970),
                SQLValue(hold.followed?.storedText),
            ])
        }
    }

    public func releaseHold(_ environment: String) throws(TargetError) {
        try write { () throws(SQLiteError) in
            try database.query("DELETE FROM holds WHERE environment = ?", [.text(environment)])
        }
    }
}
