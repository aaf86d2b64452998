import Foundation
import Synchronization
import Model
import SparkTypes
import Runtime

/// The state of a Delta table at its latest version, from replaying its log.
struct DeltaSnapshot: Sendable {
    var version: Int
    var minReaderVersion: Int
    var minWriterVersion: Int
    /// Reader features, when the reader version is 3.
    var readerFeatures: Set<String> = []
    /// Writer features, when the writer version is 7.
    var writerFeatures: Set<String> = []
    /// The schema as the log holds it, field metadata and all.
    var schemaString = ""
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
        guard let names = Files.entries(in: logDirectory.path)?.map(\.name) else { return false }
        return Self.holdsNoCommitYet(names)
    }

    /// An empty log, or one with only temporary files: a writer killed before its first commit.
    static func holdsNoCommitYet(_ names: [String]) -> Bool {
        names.allSatisfy { $0.hasPrefix(".") && $0.hasSuffix(".tmp") }
    }

    /// Replays every commit from version 0. A checkpoint, a gap or bad JSON is an
    /// error naming the table and the file.
    func snapshot() throws(TargetError) -> DeltaSnapshot {
        guard let snapshot = try observedSnapshot() else {
            throw TargetError(id, "\(logDirectory.path) holds no commits; remove the empty directory or restore its log")
        }
        return snapshot
    }

    /// The table at its latest version; nil when the log holds only what a writer
    /// killed before its first commit left. Commits are immutable, so a snapshot
    /// seen before (same latest commit file) is reused, and a table that moved on
    /// replays only its new commits.
    func observedSnapshot(cache: SnapshotCache = .shared) throws(TargetError) -> DeltaSnapshot? {
        try Self.observedSnapshot(logPath: logDirectory.path, id: id, cache: cache)
    }

    /// `observedSnapshot()` by path: observing 10,000 tables builds no URLs.
    static func observedSnapshot(logPath: String, id: ResourceID, cache: SnapshotCache = .shared) throws(TargetError) -> DeltaSnapshot? {
        guard let versions = try commitVersions(logPath: logPath, id: id), let latest = versions.last else { return nil }

        // The latest commit file's inode, size and modification time tell a table that
        // moved on from one deleted and created again at the same path (an inode alone
        // can be reused once the old file is gone).
        var info = stat()
        let identity: SnapshotCache.Identity? = stat(logPath + "/" + fileName(latest), &info) == 0
            ? SnapshotCache.Identity(version: latest, inode: UInt64(info.st_ino), size: Int(info.st_size),
                                     modified: Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec))
            : nil
        var snapshot = DeltaSnapshot(version: -1, minReaderVersion: 0, minWriterVersion: 0, tableID: "", columns: [],
                                     partitionColumns: [], configuration: [:], liveFiles: [])
        var sawMetadata = false
        if let identity, let cached = cache.snapshot(at: logPath) {
            if cached.identity == identity { return cached.snapshot }
            if cached.identity.version < latest, cached.snapshot.version == cached.identity.version {
                snapshot = cached.snapshot
                sawMetadata = true
            }
        }
        for version in versions where version > snapshot.version {
            try replayCommit(logPath + "/" + Self.fileName(version), into: &snapshot, sawMetadata: &sawMetadata, id: id)
            snapshot.version = version
        }
        guard sawMetadata else {
            throw TargetError(id, "\(logPath): no metaData action in the log; the table is corrupt")
        }
        if let identity { cache.store(snapshot, identity: identity, at: logPath) }
        return snapshot
    }

    /// The log's commit versions, 0 to the latest without a gap; nil for a table whose
    /// first commit is not written yet. A checkpoint (another engine wrote the table)
    /// or an empty log is an error.
    static func commitVersions(logPath: String, id: ResourceID) throws(TargetError) -> [Int]? {
        guard let entries = Files.entries(in: logPath) else {
            throw TargetError(id, "cannot list \(logPath): \(String(cString: strerror(errno)))")
        }
        let names = entries.map(\.name)
        if let checkpoint = names.first(where: { $0.contains(".checkpoint") || $0 == "_last_checkpoint" }) {
            throw TargetError(id, "\(logPath)/\(checkpoint): the log has a checkpoint, which this version cannot read yet; the table was written by another engine")
        }
        var versions: [Int] = []
        for entry in entries where entry.name.hasSuffix(".json") {
            let stem = entry.name.dropLast(5)
            guard stem.count == 20, let version = Int(stem) else { continue }
            versions.append(version)
        }
        versions.sort()
        guard !versions.isEmpty else {
            if holdsNoCommitYet(names) { return nil }
            throw TargetError(id, "\(logPath) holds no commits; remove the empty directory or restore its log")
        }
        for (expected, version) in versions.enumerated() where version != expected {
            throw TargetError(id, "\(logPath)/\(Self.fileName(expected)) is missing: the log has a gap before version \(version), so the table cannot be read; restore the missing commit")
        }
        return versions
    }

    /// Replays one commit file's actions into `snapshot`.
    static func replayCommit(_ path: String, into snapshot: inout DeltaSnapshot, sawMetadata: inout Bool, id: ResourceID) throws(TargetError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TargetError(id, "cannot read \(path)")
        }
        var lineIndex = 0
        var failure: TargetError?
        Self.forEachLine(data) { line in
            lineIndex += 1
            guard failure == nil, !line.allSatisfy({ $0 == 32 || $0 == 13 }) else { return }
            guard let action = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else {
                failure = TargetError(id, "\(path):\(lineIndex): not a JSON action; the commit is corrupt")
                return
            }
            do throws(TargetError) { try replay(action, into: &snapshot, sawMetadata: &sawMetadata, at: "\(path):\(lineIndex)", id: id) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Calls `body` with each line of `data` (without its newline).
    static func forEachLine(_ data: Data, _ body: (UnsafeRawBufferPointer) -> Void) {
        data.withUnsafeBytes { bytes in
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != 0x0A { end += 1 }
                if end > start { body(UnsafeRawBufferPointer(rebasing: bytes[start..<end])) }
                start = end + 1
            }
        }
    }

    private static func replay(_ action: [String: Any], into snapshot: inout DeltaSnapshot, sawMetadata: inout Bool, at place: String, id: ResourceID) throws(TargetError) {
        if let proto = action["protocol"] as? [String: Any] {
            snapshot.minReaderVersion = proto["minReaderVersion"] as? Int ?? 1
            snapshot.minWriterVersion = proto["minWriterVersion"] as? Int ?? 2
            snapshot.writerFeatures = Set(proto["writerFeatures"] as? [String] ?? [])
            snapshot.readerFeatures = Set(proto["readerFeatures"] as? [String] ?? [])
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
            snapshot.schemaString = schemaString
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
        Files.removeLeftovers(in: logDirectory)
        try Files.writeDurably(body, to: temporary, id: id)
        defer { unlink(temporary.path) }
        if link(temporary.path, final.path) != 0 {
            let code = errno
            if code == EEXIST {
                throw TargetError(id, "\(final.path) already exists: another writer committed version \(version) first; run plan again")
            }
            throw TargetError(id, "cannot create \(final.path): \(Files.describe(code))")
        }
        Files.syncDirectory(logDirectory)
        FaultInjection.step("committed \(Self.fileName(version)) of \(id)")
    }
}

/// Small file-system helpers shared by the target.
enum Files {
    struct Entry {
        var name: String
        var isDirectory: Bool
        /// False when the file system does not say (DT_UNKNOWN): stat to know.
        var typeKnown: Bool
    }

    /// The entries of a directory (without `.` and `..`) with their type, by readdir(3):
    /// a watch cycle lists every table's log, and Foundation's listing costs several
    /// times more.
    static func entries(in path: String) -> [Entry]? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var entries: [Entry] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            guard name != "." && name != ".." else { continue }
            let type = entry.pointee.d_type
            entries.append(Entry(name: name, isDirectory: type == UInt8(DT_DIR), typeKnown: type != UInt8(DT_UNKNOWN)))
        }
        return entries
    }

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
        guard fd >= 0 else { throw TargetError(id, "cannot write \(url.path): \(describe(errno))") }
        defer { close(fd) }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == data.count else {
            let code = written < 0 ? errno : ENOSPC  // a short write: the device filled up
            unlink(url.path)
            throw TargetError(id, "cannot write \(url.path): \(describe(code))")
        }
        guard fsync(fd) == 0 else { throw TargetError(id, "cannot flush \(url.path): \(describe(errno))") }
        FaultInjection.step("wrote \(url.lastPathComponent)")
    }

    /// An errno in words a person acts on: a full disk and a read-only file system
    /// are named as such.
    static func describe(_ code: Int32) -> String {
        switch code {
        case ENOSPC: return "disk full (no space left on device)"
        case EDQUOT: return "disk quota exceeded"
        case EROFS: return "read-only file system"
        default: return String(cString: strerror(code))
        }
    }

    /// Our temporary files (`.<name>.<UUID>.tmp`) left in `directory` by a writer
    /// killed before it renamed or linked them: removed, since no one will finish them
    /// (callers hold the environment's lock).
    static func removeLeftovers(in directory: URL) {
        guard let names = entries(in: directory.path)?.map(\.name) else { return }
        for name in names where isOurTemporary(name) {
            unlink(directory.appendingPathComponent(name).path)
        }
    }

    static func isOurTemporary(_ name: String) -> Bool {
        guard name.hasPrefix("."), name.hasSuffix(".tmp") else { return false }
        let parts = name.dropFirst().dropLast(4).split(separator: ".")
        guard let uuid = parts.last, parts.count >= 2 else { return false }
        return UUID(uuidString: String(uuid)) != nil
    }

    /// Replaces `url` atomically: write aside, fsync, rename.
    static func replaceAtomically(_ data: Data, at url: URL, id: ResourceID?) throws(TargetError) {
        removeLeftovers(in: url.deletingLastPathComponent())
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        try writeDurably(data, to: temporary, id: id)
        guard rename(temporary.path, url.path) == 0 else {
            let message = describe(errno)
            unlink(temporary.path)
            throw TargetError(id, "cannot replace \(url.path): \(message)")
        }
        syncDirectory(url.deletingLastPathComponent())
        FaultInjection.step("replaced \(url.lastPathComponent)")
    }

    static func syncDirectory(_ url: URL) {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}

/// Snapshots of the tables observed in this process, by log directory: a watch cycle
/// (or a plan after an apply) reads only commits it has not seen.
final class SnapshotCache: Sendable {
    static let shared = SnapshotCache()

    struct Identity: Equatable, Sendable {
        var version: Int
        var inode: UInt64
        var size: Int
        var modified: Int
    }

    private let entries = Mutex<[String: (snapshot: DeltaSnapshot, identity: Identity)]>([:])

    func snapshot(at path: String) -> (snapshot: DeltaSnapshot, identity: Identity)? {
        entries.withLock { $0[path] }
    }

    func store(_ snapshot: DeltaSnapshot, identity: Identity, at path: String) {
        entries.withLock { $0[path] = (snapshot, identity) }
    }
}
