import Foundation
import Model

/// Renders an environment's apply history.
public enum HistoryRenderer {
    public static func render(_ records: [ApplyRecord], environment: String, as format: OutputFormat) -> String {
        switch format {
        case .json: return JSONText.encode(json(records, environment: environment))
        case .human, .markdown: return human(records, environment: environment)
        }
    }

    static func human(_ records: [ApplyRecord], environment: String) -> String {
        guard !records.isEmpty else { return "No applies recorded for environment \(environment).\n" }
        var out = "History of environment \(environment), newest first:\n\n"
        for record in records {
            let applied = record.changes.filter { $0.status == .applied }.count
            var line = "  #\(record.id)  \(record.outcome.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)) \(record.kind.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(record.revision.prefix(7))  \(LockInfo.format(record.startedAt))  \(record.actor)"
            line += "  \(applied)/\(record.changes.count) changes"
            out += line + "\n"
            let versions = record.changes.compactMap { change in change.tableVersion.map { "\(change.resource.name)@v\($0)" } }
            if !versions.isEmpty {
                let shown = versions.prefix(5).joined(separator: ", ") + (versions.count > 5 ? " and \(versions.count - 5) more" : "")
                out += "        tables: \(shown)\n"
            }
            if let failed = record.changes.first(where: { $0.status == .failed }) {
                out += "        failed: \(failed.action.rawValue) \(failed.resource): \(failed.error ?? "")\n"
            }
            if let stopped = record.changes.first(where: { $0.status == .interrupted }) {
                out += "        interrupted during \(stopped.action.rawValue) \(stopped.resource)\n"
            }
        }
        return out
    }

    public static func json(_ records: [ApplyRecord], environment: String) -> Value {
        .object([
            "formatVersion": .int(PlanRenderer.formatVersion),
            "environment": .string(environment),
            "applies": .array(records.map { record in
                var fields: [String: Value] = [
                    "id": .int(record.id), "revision": .string(record.revision), "planDigest": .string(record.planDigest),
                    "actor": .string(record.actor), "kind": .string(record.kind.rawValue), "outcome": .string(record.outcome.rawValue),
                    "startedAt": .string(LockInfo.format(record.startedAt)),
                    "changes": .array(record.changes.map { change in
                        var entry: [String: Value] = ["resource": .string(change.resource.description), "action": .string(change.action.rawValue),
                                                      "status": .string(change.status.rawValue)]
                        if let error = change.error { entry["error"] = .string(error) }
                        if let version = change.tableVersion { entry["tableVersion"] = .int(version) }
                        return .object(entry)
                    }),
                ]
                if let finished = record.finishedAt { fields["finishedAt"] = .string(LockInfo.format(finished)) }
                return .object(fields)
            }),
        ])
    }
}
