import Model
import SQLite

/// The audit trail in the state store: one row per entry, appended in the same kind of
/// write transaction as history, so the chain never forks between two writers.
extension SQLiteStateStore: AuditLog {
    public func appendAudit(_ event: AuditEvent, seal: (AuditEvent, Int, String) -> (entry: String, hash: String)) throws(TargetError) -> AuditRecord {
        var record: AuditRecord?
        try write { () throws(SQLiteError) in
            let last = try database.query("SELECT sequence, hash FROM audit ORDER BY sequence DESC LIMIT 1").first
            let sequence = (last?[0].int ?? 0) + 1
            let sealed = seal(event, sequence, last?[1].string ?? AuditRecord.genesis)
            try database.query("INSERT INTO audit (sequence, entry, hash) VALUES (?, ?, ?)", [.int(Int64(sequence)), .text(sealed.entry), .text(sealed.hash)])
            record = AuditRecord(sequence: sequence, entry: sealed.entry, hash: sealed.hash)
        }
        guard let record else { throw TargetError(nil, "state store \(location): the audit entry was not written") }
        return record
    }

    public func auditTrail() throws(TargetError) -> [AuditRecord] {
        try run { () throws(SQLiteError) in
            try database.query("SELECT sequence, entry, hash FROM audit ORDER BY sequence").map {
                // A damaged row keeps its place with empty text, so verification names it.
                AuditRecord(sequence: $0[0].int ?? -1, entry: $0[1].string ?? "", hash: $0[2].string ?? "")
            }
        }
    }
}
