import Foundation
import Model
import PostgresNIO

/// History, inventory, the journal and holds: the SQLite store's records and
/// semantics, statement for statement.
extension PostgresStateStore {
    // MARK: Inventory

    public func inventory(_ environment: String) async throws(TargetError) -> Inventory {
        let logger = self.logger
        let rows = try await run("reading the inventory from") { connection in
            var rows: [(String, Bool, String?)] = []
            for try await row in try await connection.query("SELECT resource, protected, principals FROM inventory WHERE environment = \(environment)", logger: logger)
                .decode((String, Bool, String?).self) { rows.append(row) }
            return rows
        }
        var inventory = Inventory(environment: environment)
        for (resource, protected, principals) in rows {
            let id = try StoredRows.value(resource, ResourceID.init(parsing:), "an inventory row of \(environment) names a resource that", store: location)
            inventory.entries[id] = Inventory.Entry(protected: protected, principals: principals.map { $0.isEmpty ? [] : $0.components(separatedBy: "\n") })
        }
        return inventory
    }

    // MARK: Journal and history

    public func startApply(_ environment: String, revision: String, planDigest: String, actor: String, kind: ApplyRecord.Kind,
                           changes: [(ResourceID, Action)]) async throws(TargetError) -> Int {
        let logger = self.logger
        let now = Date().timeIntervalSince1970
        let rows = changes.map { ($0.0.description, $0.1.rawValue) }
        return try await write("starting an apply in") { connection in
            var id = 0
            for try await found in try await connection.query("""
                INSERT INTO applies (environment, revision, plan_digest, actor, kind, started_at, outcome)
                VALUES (\(environment), \(revision), \(planDigest), \(actor), \(kind.rawValue), \(now), 'running') RETURNING id
                """, logger: logger).decode(Int.self) { id = found }
            for (position, change) in rows.enumerated() {
                try await connection.query("INSERT INTO apply_changes (apply_id, position, resource, action, status) VALUES (\(id), \(position), \(change.0), \(change.1), 'pending')", logger: logger)
            }
            return id
        }
    }

    public func changeStarted(_ apply: Int, position: Int) async throws(TargetError) {
        let logger = self.logger
        try await write("recording a change in") { connection in
            _ = try await connection.query("UPDATE apply_changes SET status = 'started', error = NULL WHERE apply_id = \(apply) AND position = \(position)", logger: logger)
        }
    }

    public func changeApplied(_ apply: Int, position: Int, environment: String, inventory id: ResourceID, entry: Inventory.Entry?, applied: AppliedChange) async throws(TargetError) {
        let logger = self.logger
        let resource = id.description, version = applied.tableVersion
        try await write("recording a change in") { connection in
            try await connection.query("UPDATE apply_changes SET status = 'applied', error = NULL, table_version = coalesce(\(version), table_version) WHERE apply_id = \(apply) AND position = \(position)", logger: logger)
            try await connection.query("DELETE FROM inventory WHERE environment = \(environment) AND resource = \(resource)", logger: logger)
            if let entry {
                try await connection.query("INSERT INTO inventory VALUES (\(environment), \(resource), \(entry.protected), \(entry.principals?.joined(separator: "\n")))", logger: logger)
            }
        }
    }

    public func changeFailed(_ apply: Int, position: Int, error: String) async throws(TargetError) {
        let logger = self.logger
        try await write("recording a change in") { connection in
            _ = try await connection.query("UPDATE apply_changes SET status = 'failed', error = \(error) WHERE apply_id = \(apply) AND position = \(position)", logger: logger)
        }
    }

    public func finishApply(_ apply: Int, outcome: ApplyRecord.Outcome) async throws(TargetError) {
        let logger = self.logger
        let now = Date().timeIntervalSince1970
        try await write("finishing an apply in") { connection in
            try await connection.query("UPDATE apply_changes SET status = 'not-attempted' WHERE apply_id = \(apply) AND status = 'pending'", logger: logger)
            try await connection.query("UPDATE apply_changes SET status = 'interrupted' WHERE apply_id = \(apply) AND status = 'started'", logger: logger)
            try await connection.query("UPDATE applies SET outcome = \(outcome.rawValue), finished_at = \(now) WHERE id = \(apply)", logger: logger)
        }
    }

    public func history(_ environment: String, limit: Int) async throws(TargetError) -> [ApplyRecord] {
        try await records(environment, condition: "TRUE", limit: limit)
    }

    public func lastSuccessfulApply(_ environment: String) async throws(TargetError) -> ApplyRecord? {
        try await records(environment, condition: ApplyRecord.lastSuccessfulCondition, limit: 1).first
    }

    public func runningApplies(_ environment: String) async throws(TargetError) -> [ApplyRecord] {
        try await records(environment, condition: ApplyRecord.runningCondition, limit: 1000)
    }

    /// The newest `limit` applies of `environment` that meet `condition` (SQL, a constant
    /// of ours), with their changes.
    private func records(_ environment: String, condition: String, limit: Int) async throws(TargetError) -> [ApplyRecord] {
        let logger = self.logger
        return try await run("reading history from") { connection in
            var records: [ApplyRecord] = []
            let applies = try await connection.query("""
                SELECT id, revision, plan_digest, actor, kind, started_at, finished_at, outcome FROM applies
                WHERE environment = \(environment) AND \(unescaped: condition) ORDER BY id DESC LIMIT \(limit)
                """, logger: logger).decode((Int, String, String, String, String, Double, Double?, String).self)
            for try await (id, revision, digest, actor, kind, started, finished, outcome) in applies {
                records.append(ApplyRecord(id: id, environment: environment, revision: revision, planDigest: digest, actor: actor,
                                           kind: try StoredRows.value(kind, ApplyRecord.Kind.init(rawValue:), "the kind of apply \(id)", store: location),
                                           startedAt: Date(timeIntervalSince1970: started), finishedAt: finished.map(Date.init(timeIntervalSince1970:)),
                                           outcome: try StoredRows.value(outcome, ApplyRecord.Outcome.init(rawValue:), "the outcome of apply \(id)", store: location),
                                           changes: []))
            }
            for index in records.indices {
                let changes = try await connection.query("SELECT position, resource, action, status, error, table_version FROM apply_changes WHERE apply_id = \(records[index].id) ORDER BY position", logger: logger)
                    .decode((Int, String, String, String, String?, Int?).self)
                for try await (position, resource, action, status, error, version) in changes {
                    let place = "change \(position) of apply \(records[index].id)"
                    records[index].changes.append(ChangeRecord(
                        position: position, resource: try StoredRows.value(resource, ResourceID.init(parsing:), "the resource of \(place)", store: location),
                        action: try StoredRows.value(action, Action.init(rawValue:), "the action of \(place)", store: location),
                        status: try StoredRows.value(status, ChangeRecord.Status.init(rawValue:), "the status of \(place)", store: location),
                        error: error, tableVersion: version))
                }
            }
            return records
        }
    }

    public func unresolvedIntents(_ environment: String, includeRunning: Bool) async throws(TargetError) -> [Intent] {
        let logger = self.logger
        return try await run("reading the journal from") { connection in
            var intents: [Intent] = []
            let rows = try await connection.query("""
                SELECT c.apply_id, c.position, c.resource, c.action FROM apply_changes c JOIN applies a ON a.id = c.apply_id
                WHERE a.environment = \(environment) AND NOT c.resolved AND (
                  (a.outcome != 'running' AND (c.status IN ('interrupted', 'failed') OR (c.status = 'applied' AND a.outcome = 'interrupted')))
                  OR (\(includeRunning) AND a.outcome = 'running' AND c.status IN ('started', 'applied', 'failed')))
                ORDER BY c.apply_id, c.position
                """, logger: logger).decode((Int, Int, String, String).self)
            for try await (apply, position, resource, action) in rows {
                let place = "change \(position) of apply \(apply) in the journal"
                intents.append(Intent(apply: apply, position: position,
                                      resource: try StoredRows.value(resource, ResourceID.init(parsing:), "the resource of \(place)", store: location),
                                      action: try StoredRows.value(action, Action.init(rawValue:), "the action of \(place)", store: location)))
            }
            return intents
        }
    }

    public func resolve(_ intent: Intent, environment: String, effect: InventoryEffect) async throws(TargetError) {
        let logger = self.logger
        let resource = intent.resource.description
        try await write("settling the journal in") { connection in
            try await connection.query("UPDATE apply_changes SET resolved = TRUE WHERE apply_id = \(intent.apply) AND position = \(intent.position)", logger: logger)
            switch effect {
            case .keep: break
            case .remove:
                try await connection.query("DELETE FROM inventory WHERE environment = \(environment) AND resource = \(resource)", logger: logger)
            case .set(let entry):
                try await connection.query("""
                    INSERT INTO inventory VALUES (\(environment), \(resource), \(entry.protected), \(entry.principals?.joined(separator: "\n")))
                    ON CONFLICT (environment, resource) DO UPDATE SET protected = EXCLUDED.protected, principals = EXCLUDED.principals
                    """, logger: logger)
            }
        }
    }

    // MARK: Holds

    public func hold(_ environment: String) async throws(TargetError) -> Hold? {
        let logger = self.logger
        return try await run("reading holds from") { connection in
            var found: Hold?
            for try await (reason, revision, actor, since, followed) in try await connection.query(
                "SELECT reason, revision, actor, since, followed FROM holds WHERE environment = \(environment)", logger: logger)
                .decode((String, String, String, Double, String?).self) {
                found = Hold(environment: environment, reason: reason, revision: revision, actor: actor, since: Date(timeIntervalSince1970: since),
                             followed: followed.flatMap(SourceSpec.init(storedText:)))
            }
            return found
        }
    }

    public func setHold(_ hold: Hold) async throws(TargetError) {
        let logger = self.logger
        let since = hold.since.timeIntervalSince1970, followed = hold.followed?.storedText
        try await write("writing a hold in") { connection in
            try await connection.query("""
                INSERT INTO holds (environment, reason, revision, actor, since, followed)
                VALUES (\(hold.environment), \(hold.reason), \(hold.revision), \(hold.actor), \(since), \(followed))
                ON CONFLICT (environment) DO UPDATE SET reason = EXCLUDED.reason, revision = EXCLUDED.revision, actor = EXCLUDED.actor,
                  since = EXCLUDED.since, followed = EXCLUDED.followed
                """, logger: logger)
        }
    }

    public func releaseHold(_ environment: String) async throws(TargetError) {
        let logger = self.logger
        try await write("releasing a hold in") { connection in
            _ = try await connection.query("DELETE FROM holds WHERE environment = \(environment)", logger: logger)
        }
    }

    // MARK: Audit

    public func appendAudit(_ event: AuditEvent, seal: @Sendable (AuditEvent, Int, String) -> (entry: String, hash: String)) async throws(TargetError) -> AuditRecord {
        let logger = self.logger
        return try await write("appending to the audit trail in") { connection in
            // One writer at a time appends, so the chain never forks.
            try await connection.query("LOCK TABLE audit IN EXCLUSIVE MODE", logger: logger)
            var last: (Int, String)?
            for try await row in try await connection.query("SELECT sequence, hash FROM audit ORDER BY sequence DESC LIMIT 1", logger: logger).decode((Int, String).self) {
                last = row
            }
            let sequence = (last?.0 ?? 0) + 1
            let sealed = seal(event, sequence, last?.1 ?? AuditRecord.genesis)
            try await connection.query("INSERT INTO audit (sequence, entry, hash) VALUES (\(sequence), \(sealed.entry), \(sealed.hash))", logger: logger)
            return AuditRecord(sequence: sequence, entry: sealed.entry, hash: sealed.hash)
        }
    }

    public func auditTrail() async throws(TargetError) -> [AuditRecord] {
        let logger = self.logger
        return try await run("reading the audit trail from") { connection in
            var records: [AuditRecord] = []
            for try await (sequence, entry, hash) in try await connection.query("SELECT sequence, entry, hash FROM audit ORDER BY sequence", logger: logger)
                .decode((Int, String, String).self) {
                records.append(AuditRecord(sequence: sequence, entry: entry, hash: hash))
            }
            return records
        }
    }
}
