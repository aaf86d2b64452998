import Foundation
import Model

/// The audit trail's hash chain. Pure: an entry's text is the event, its sequence and
/// the previous entry's hash as canonical JSON (keys sorted, one line); its hash is
/// that text's SHA-256. `verify` recomputes the chain and names the first entry that
/// does not hold.
public enum AuditChain {
    /// The entry text and hash of `event` as entry `sequence` after `previous`.
    public static func seal(_ event: AuditEvent, sequence: Int, previous: String) -> (entry: String, hash: String) {
        var fields: [(String, String)] = [
            ("actor", quoted(event.actor)), ("at", String(event.at)), ("environment", quoted(event.environment)),
            ("kind", quoted(event.kind.rawValue)), ("previous", quoted(previous)), ("sequence", String(sequence)),
            ("summary", quoted(event.summary)),
        ]
        if let revision = event.revision { fields.append(("revision", quoted(revision))) }
        let details = event.details.keys.sorted().map { "\(quoted($0)):\(quoted(event.details[$0]!))" }.joined(separator: ",")
        fields.append(("details", "{\(details)}"))
        let entry = "{" + fields.sorted { $0.0 < $1.0 }.map { "\(quoted($0.0)):\($0.1)" }.joined(separator: ",") + "}"
        return (entry, Digest.sha256Hex(Array(entry.utf8)))
    }

    /// A break in the chain: the entry and what is wrong with it.
    public struct Break: Sendable, Hashable, CustomStringConvertible {
        public var sequence: Int
        public var reason: String
        public var description: String { "entry \(sequence): \(reason)" }
    }

    /// The first entry whose text does not match its hash, whose link does not name the
    /// entry before it, or whose sequence is out of place; nil when the chain holds.
    public static func verify(_ records: [AuditRecord]) -> Break? {
        var previous = AuditRecord.genesis
        for (offset, record) in records.enumerated() {
            let expected = offset + 1
            if record.sequence != expected {
                return Break(sequence: record.sequence, reason: "is stored as entry \(record.sequence) where entry \(expected) belongs: an entry was removed or inserted")
            }
            if Digest.sha256Hex(Array(record.entry.utf8)) != record.hash {
                return Break(sequence: record.sequence, reason: "its text does not match its hash: the entry was modified")
            }
            guard let object = try? JSONSerialization.jsonObject(with: Data(record.entry.utf8)) as? [String: Any],
                  let link = object["previous"] as? String, let sequence = object["sequence"] as? Int else {
                return Break(sequence: record.sequence, reason: "its text is not an audit entry")
            }
            if link != previous {
                return Break(sequence: record.sequence, reason: "it does not name entry \(expected - 1)'s hash: an entry before it was modified, removed or rehashed")
            }
            if sequence != expected {
                return Break(sequence: record.sequence, reason: "its text says it is entry \(sequence)")
            }
            previous = record.hash
        }
        return nil
    }

    /// `text` as a JSON string (RFC 8259 escaping).
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
