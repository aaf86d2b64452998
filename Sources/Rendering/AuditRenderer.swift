import Foundation
import Model

/// The audit trail as text, markdown or JSON (`formatVersion` 1).
public enum AuditRenderer {
    public static func render(_ records: [AuditRecord], as format: OutputFormat) -> String {
        let entries = records.map { record -> (record: AuditRecord, fields: [String: Value]) in
            let parsed = (try? JSONDecoder().decode(Value.self, from: Data(record.entry.utf8))) ?? .null
            if case .object(let fields) = parsed { return (record, fields) }
            return (record, ["summary": .string("(unreadable entry)")])
        }
        func text(_ fields: [String: Value], _ key: String) -> String {
            if case .string(let value)? = fields[key] { return value }
            if case .int(let value)? = fields[key] { return String(value) }
            return ""
        }
        func time(_ fields: [String: Value]) -> String {
            guard case .int(let millis)? = fields["at"] else { return "?" }
            return LockInfo.format(Date(timeIntervalSince1970: Double(millis) / 1000))
        }
        switch format {
        case .json:
            let list: [Value] = entries.map { .object(["sequence": .int($0.record.sequence), "hash": .string($0.record.hash), "entry": .object($0.fields)]) }
            return JSONText.encode(.object(["formatVersion": .int(1), "entries": .array(list)]))
        case .markdown:
            var out = "### reconcile audit trail\n\n| # | time | kind | actor | what |\n|---|---|---|---|---|\n"
            for (record, fields) in entries {
                out += "| \(record.sequence) | \(time(fields)) | \(text(fields, "kind")) | \(text(fields, "actor")) | \(text(fields, "summary").replacingOccurrences(of: "|", with: "\\|")) |\n"
            }
            return out
        case .human:
            guard !entries.isEmpty else { return "No audit entries yet.\n" }
            return entries.map { record, fields in
                "\(record.sequence)  \(time(fields))  \(text(fields, "kind"))  \(text(fields, "actor"))\n    \(text(fields, "summary"))\n"
            }.joined()
        }
    }

    public static func verified(count: Int, last: AuditRecord?, as format: OutputFormat) -> String {
        switch format {
        case .json:
            var object: [String: Value] = ["formatVersion": .int(1), "verified": .bool(true), "entries": .int(count)]
            if let last { object["lastHash"] = .string(last.hash) }
            return JSONText.encode(.object(object))
        case .human, .markdown:
            guard let last else { return "The audit trail is empty.\n" }
            return "The audit trail holds: \(count) entr\(count == 1 ? "y" : "ies"), the last hashing to \(last.hash).\n"
        }
    }
}
