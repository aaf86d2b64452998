import Foundation
import Model

/// The state of a Delta table at its latest version, from replaying its log.
struct DeltaSnapshot {
    var version: Int
    var minReaderVersion: Int
    var minWriterVersion: Int
    /// Writer features, when the writer version is 7.
    var writerFeatures: Set<String> = []
    /// Liquid clustering columns, from the `delta.clustering` domain.
    var clusteringColumns: [String] = []
    var tableID: String
    var name: String?
    var description: String?
    var columns: [Column]
    var partitionColumns: [String]
    var configuration: [String: String]
    var createdTime: Int?
    /// Paths of the data files live at this version.
    var liveFiles: Set<String>

    /// The table as a manifest would declare it: constraints split out of the configuration.
    var spec: TableSpec {
        var properties: [String: String] = [:]
        var constraints: [String: String] = [:]
        for (key, value) in configuration {
            if key.hasPrefix(DeltaLog.constraintPrefix) {
                constraints[String(key.dropFirst(DeltaLog.constraintPrefix.count))] = value
            } else {
                properties[key] = value
            }
        }
        return TableSpec(comment: description, columns: columns, partitionedBy: partitionColumns, clusterBy: clusteringColumns,
                         properties: properties, constraints: constraints)
    }
}

/// Reads and writes one table's `_delta_log`, per the Delta protocol.
struct DeltaLog {
    static let constraintPrefix = "delta.constraints."

    let tableDirectory: URL
    /// How the table is named in messages (`Table/main.silver.orders`).
    let id: ResourceID

    var logDirectory: URL { tableDirectory.appendingPathComponent("_delta_log") }

    static func fileName(_ version: Int) -> String {
        let digits = String(version)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".json"
    }

    func relative(_ name: String) -> String { "_delta_log/" + name }

    /// True when the log directory exists but holds no commit, only what a writer
    /// killed before its first commit left (temporary files): the table was never created.
    var isAbandoned: Bool {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: logDirectory.path) else { return false }
        return names.allSatisfy { $0.hasPrefix(".") && $0.hasSuffix(".tmp") }
    }

    /// Replays every commit from version 0. A checkpoint, a gap or bad JSON is an
    /// error naming the table and the file.
    func snapshot() throws(TargetError) -> DeltaSnapshot {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: logDirectory.path)
        } catch {
            throw TargetError(id, "cannot list \(logDirectory.path): \(error.localizedDescription)")
        }
        if let checkpoint = names.first(where: { $0.contains(".checkpoint") || $0 == "_last_checkpoint" }) {
            throw TargetError(id, "\(logDirectory.path)/\(checkpoint): the log has a checkpoint, which this version cannot read yet; the table was written by another engine")
        }
        var versions: [Int] = []
        for name in names where name.hasSuffix(".json") {
            let stem = name.dropLast(5)
            guard stem.count == 20, let version = Int(stem) else { continue }
            versions.append(version)
        }
        versions.sort()
        guard !versions.isEmpty else {
            throw TargetError(id, "\(logDirectory.path) holds no commits; remove the empty directory or restore its log")
        }
        for (expected, version) in versions.enumerated() where version != expected {
            throw TargetError(id, "\(logDirectory.path)/\(Self.fileName(expected)) is missing: the log has a gap before version \(version), so the table cannot be read; restore the missing commit")
        }

        var snapshot = DeltaSnapshot(version: -1, minReaderVersion: 0, minWriterVersion: 0, tableID: "", columns: [],
                                     partitionColumns: [], configuration: [:], liveFiles: [])
        var sawMetadata = false
        for version in versions {
            let name = Self.fileName(version)
            let path = logDirectory.appendingPathComponent(name).path
            guard let data = FileManager.default.contents(atPath: path) else {
                throw TargetError(id, "cannot read \(path)")
            }
            for (lineIndex, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() where !line.allSatisfy({ $0 == 32 || $0 == 13 }) {
                guard let action = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else {
                    throw TargetError(id, "\(path):\(lineIndex + 1): not a JSON action; the commit is corrupt")
                }
                try replay(action, into: &snapshot, sawMetadata: &sawMetadata, at: "\(path):\(lineIndex + 1)")
            }
            snapshot.version = version
        }
        guard sawMetadata else {
            throw TargetError(id, "\(logDirectory.path): no metaData action in the log; the table is corrupt")
        }
        return snapshot
    }

    private func replay(_ action: [String: Any], into snapshot: inout DeltaSnapshot, sawMetadata: inout Bool, at place: String) throws(TargetError) {
        if let proto = action["protocol"] as? [String: Any] {
            snapshot.minReaderVersion = proto["minReaderVersion"] as? Int ?? 1
            snapshot.minWriterVersion = proto["minWriterVersion"] as? Int ?? 2
            snapshot.writerFeatures = Set(proto["writerFeatures"] as? [String] ?? [])
        }
        if let domain = action["domainMetadata"] as? [String: Any], domain["domain"] as? String == DeltaProtocol.clusteringDomain {
            if domain["removed"] as? Bool == true {
                snapshot.clusteringColumns = []
            } else {
                guard let text = domain["configuration"] as? String,
                      let configuration = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
                      let paths = configuration["clusteringColumns"] as? [[String]] else {
                    throw TargetError(id, "\(place): the delta.clustering domain has no readable clusteringColumns")
                }
                snapshot.clusteringColumns = paths.map { $0.joined(separator: ".") }
            }
        }
        if let metadata = action["metaData"] as? [String: Any] {
            guard let schemaString = metadata["schemaString"] as? String,
                  let schema = try? JSONSerialization.jsonObject(with: Data(schemaString.utf8)) else {
                throw TargetError(id, "\(place): metaData has no readable schemaString")
            }
            do {
                snapshot.columns = try SparkSchema.columns(from: schema)
            } catch {
                throw TargetError(id, "\(place): \(error.message)")
            }
            snapshot.tableID = metadata["id"] as? String ?? ""
            snapshot.name = metadata["name"] as? String
            snapshot.description = metadata["description"] as? String
            snapshot.partitionColumns = metadata["partitionColumns"] as? [String] ?? []
            snapshot.configuration = (metadata["configuration"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
            snapshot.createdTime = metadata["createdTime"] as? Int
            sawMetadata = true
        }
        if let add = action["add"] as? [String: Any], let path = add["path"] as? String {
            snapshot.liveFiles.insert(path)
        }
        if let remove = action["remove"] as? [String: Any], let path = remove["path"] as? String {
            snapshot.liveFiles.remove(path)
        }
    }

    /// Writes commit `version` atomically and only if absent: the file is written
    /// aside, flushed, then hard-linked into place, which fails if another writer
    /// won the race for that version.
    func commit(version: Int, actions: [[String: Any]]) throws(TargetError) {
        var body = Data()
        do {
            for action in actions {
                body.append(try JSONSerialization.data(withJSONObject: action, options: [.sortedKeys, .withoutEscapingSlashes]))
                body.append(UInt8(ascii: "\n"))
            }
        } catch {
            throw TargetError(id, "cannot encode commit \(version): \(error)")
        }
        let final = logDirectory.appendingPathComponent(Self.fileName(version))
        let temporary = logDirectory.appendingPathComponent(".\(Self.fileName(version)).\(UUID().uuidString).tmp")
        do {
            try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        } catch {
            throw TargetError(id, "cannot create \(logDirectory.path): \(Files.reason(error))")
        }
        try Files.writeDurably(body, to: temporary, id: id)
        defer { unlink(temporary.path) }
        if link(temporary.path, final.path) != 0 {
            let code = errno
            if code == EEXIST {
                throw TargetError(id, "\(final.path) already exists: another writer committed version \(version) first; run plan again")
            }
            throw TargetError(id, "cannot create \(final.path): \(String(cString: strerror(code)))")
        }
        Files.syncDirectory(logDirectory)
    }
}

/// Small file-system helpers shared by the target.
enum Files {
    static func reason(_ error: Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return nsError.localizedDescription
    }

    /// Writes `data` to `url` and fsyncs it before returning.
    static func writeDurably(_ data: Data, to url: URL, id: ResourceID?) throws(TargetError) {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw TargetError(id, "cannot write \(url.path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == data.count else { throw TargetError(id, "cannot write \(url.path): \(String(cString: strerror(errno)))") }
        guard fsync(fd) == 0 else { throw TargetError(id, "cannot flush \(url.path): \(String(cString: strerror(errno)))") }
    }

    /// Replaces `url` atomically: write aside, fsync, rename.
    static func replaceAtomically(_ data: Data, at url: URL, id: ResourceID?) throws(TargetError) {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        try writeDurably(data, to: temporary, id: id)
        guard rename(temporary.path, url.path) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(temporary.path)
            throw TargetError(id, "cannot replace \(url.path): \(message)")
        }
        syncDirectory(url.deletingLastPathComponent())
    }

    static func syncDirectory(_ url: URL) {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
