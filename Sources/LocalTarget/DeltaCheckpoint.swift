import Foundation
import Model
import Parquet

/// What a `_delta_log` directory holds, by name: commits, checkpoints (classic
/// single-file and multi-part Parquet; v2 UUID-named ones recognised), and the
/// `_last_checkpoint` hint.
struct LogListing {
    /// Commit versions, ascending.
    var commits: [Int] = []
    /// Complete classic checkpoints by version: their file names (parts in order).
    var checkpoints: [Int: [String]] = [:]
    /// V2 (UUID-named) checkpoints, which this version recognises but does not read.
    var uuidCheckpoints: [Int: String] = [:]
    /// Other names: temporary files, `_last_checkpoint`, `.crc` files.
    var names: [String] = []

    init(_ names: [String]) {
        self.names = names
        var parts: [Int: [Int: String]] = [:]
        var totals: [Int: Int] = [:]
        for name in names {
            let pieces = name.split(separator: ".", omittingEmptySubsequences: false)
            guard let first = pieces.first, first.count == 20, let version = Int(first) else { continue }
            switch pieces.count {
            case 2 where pieces[1] == "json":
                commits.append(version)
            case 3 where pieces[1] == "checkpoint" && pieces[2] == "parquet":
                checkpoints[version] = [name]
            case 4 where pieces[1] == "checkpoint" && (pieces[3] == "parquet" || pieces[3] == "json"):
                uuidCheckpoints[version] = name
            case 5 where pieces[1] == "checkpoint" && pieces[4] == "parquet":
                guard let part = Int(pieces[2]), let total = Int(pieces[3]), part >= 1, total >= part else { continue }
                parts[version, default: [:]][part] = name
                totals[version] = total
            default:
                continue
            }
        }
        commits.sort()
        for (version, found) in parts where checkpoints[version] == nil {
            guard let total = totals[version], found.count == total else { continue }  // a multi-part checkpoint still being written
            checkpoints[version] = (1...total).compactMap { found[$0] }
        }
    }

    /// The newest complete classic checkpoint not past the latest commit.
    var newestCheckpoint: Int? {
        let latest = commits.last ?? Int.max
        return checkpoints.keys.filter { $0 <= latest }.max()
    }
}

/// Reads a classic checkpoint's actions into a snapshot.
enum DeltaCheckpoint {
    /// The columns of a checkpoint that make a snapshot.
    static let columns: Set<String> = ["add", "remove", "metaData", "protocol", "domainMetadata"]

    static func replay(_ files: [String], logPath: String, into snapshot: inout DeltaSnapshot, sawMetadata: inout Bool, id: ResourceID) throws(TargetError) {
        for name in files {
            let path = logPath + "/" + name
            let rows: [[String: Value]]
            do {
                rows = try ParquetFile(contentsOf: path).rows(columns: columns)
            } catch {
                throw TargetError(id, "\(path): the checkpoint cannot be read: \(error.message); the table's log is damaged or written in a form this version does not read")
            }
            for (index, row) in rows.enumerated() {
                var action: [String: Any] = [:]
                for (key, value) in row where value != .null { action[key] = foundation(value) }
                guard !action.isEmpty else { continue }
                try DeltaLog.replay(action, into: &snapshot, sawMetadata: &sawMetadata, at: "\(path) row \(index + 1)", id: id)
            }
        }
    }

    /// A value as JSONSerialization would have given it, for the shared replay.
    static func foundation(_ value: Value) -> Any {
        switch value {
        case .null: return NSNull()
        case .bool(let flag): return flag
        case .int(let number): return number
        case .double(let number): return number
        case .string(let text): return text
        case .array(let items): return items.map(foundation)
        case .object(let fields): return fields.mapValues(foundation)
        }
    }

    /// The version `_last_checkpoint` names, when the file is there and says one.
    static func hinted(logPath: String) -> Int? {
        guard let data = FileManager.default.contents(atPath: logPath + "/_last_checkpoint"),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return nil }
        return object["version"] as? Int
    }
}
