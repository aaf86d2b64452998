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
    /// What the log says of each live file: its statistics and partition values.
    var fileFacts: [String: FileFacts] = [:]

    struct FileFacts: Sendable {
        /// The `stats` JSON string, when the writer recorded it.
        var stats: String?
        /// Partition values as the log holds them (strings; nil for null).
        var partitionValues: [String: String?]
    }

    /// The table as a manifest would declare it: constraints split out of the configuration.
    var spec: TableSpec {
        var properties: [String: String] = [:]
        var constraints: [String: String] = [:]
        var tags: [String: String]?
        var rowFilter: RowFilter?
        for (key, value) in configuration {
            if key == SparkSchema.rowFilterKey {
                // Unreadable reads as a filter on nothing: the plan puts the manifest's back.
                rowFilter = (try? SparkSchema.call(value, "on", key: key)).flatMap { $0 }.map { RowFilter(function: $0.function, on: $0.columns) }
                    ?? RowFilter(function: "(unreadable)")
            } else if key == SparkSchema.tagsKey {
                // Unreadable tags read as a set nobody declared: the plan shows them replaced.
                tags = (try? SparkSchema.tags(value)) ?? ["(unreadable)": value]
            } else if key.hasPrefix(DeltaLog.constraintPrefix) {
                constraints[String(key.dropFirst(DeltaLog.constraintPrefix.count))] = value
            } else {
                properties[key] = value
            }
        }
        return TableSpec(comment: description, columns: columns, partitionedBy: partitionColumns, clusterBy: clusteringColumns,
                         properties: properties, constraints: constraints, tags: tags, rowFilter: rowFilter)
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
        guard digits.utf8.count <= 20 else { return digits + ".json" }
        // Written at once: observing a table names its newest commit, 100,000 times a plan.
        return String(unsafeUninitializedCapacity: 25) { buffer in
            let padding = 20 - digits.utf8.count
            for index in 0..<padding { buffer[index] = UInt8(ascii: "0") }
            var index = padding
            for byte in digits.utf8 {
                buffer[index] = byte
                index += 1
            }
            for byte in ".json".utf8 {
                buffer[index] = byte
                index += 1
            }
            return index
        }
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

    /// Replays the log from its newest checkpoint (or version 0). A gap, a checkpoint
    /// that cannot be read or bad JSON is an error naming the table and the file.
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
    /// `provenFirst`: try proving the log unchanged from the cache first (false when the caller just did).
    static func observedSnapshot(logPath: String, id: ResourceID, cache: SnapshotCache = .shared, provenFirst: Bool = true) throws(TargetError) -> DeltaSnapshot? {
        if provenFirst, let unchanged = cache.unchanged(at: logPath) { return unchanged }
        // The directory's time, taken before listing it: a change after this moves it.
        let listedAt = SnapshotCache.now()
        var directory = stat()
        let directoryKnown = stat(logPath, &directory) == 0
        guard let log = try replayable(logPath: logPath, id: id) else { return nil }

        // The latest commit file's inode, size and modification time tell a table that
        // moved on from one deleted and created again at the same path (an inode alone
        // can be reused once the old file is gone).
        var info = stat()
        let newest = log.commits.last.map(fileName) ?? log.checkpoint?.files.last ?? ""
        let identity: SnapshotCache.Identity? = stat(logPath + "/" + newest, &info) == 0
            ? SnapshotCache.Identity(version: log.latest, inode: UInt64(info.st_ino), size: Int(info.st_size),
                                     modified: Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec))
            : nil
        var snapshot = DeltaSnapshot(version: -1, minReaderVersion: 0, minWriterVersion: 0, tableID: "", columns: [],
                                     partitionColumns: [], configuration: [:], liveFiles: [])
        var sawMetadata = false
        var commits = log.commits
        if let identity, let cached = cache.snapshot(at: logPath) {
            if cached.identity == identity {
                // Unchanged: kept again with this listing, which may now be settled.
                cache.store(cached.snapshot, identity: identity, at: logPath, newest: newest, directory: directoryKnown ? directory : nil, listedAt: listedAt)
                return cached.snapshot
            }
            // A table that moved on replays only its new commits, when they are all there.
            let after = log.allCommits.filter { $0 > cached.snapshot.version }
            if cached.identity.version < log.latest, cached.snapshot.version == cached.identity.version,
               after.first == cached.snapshot.version + 1, after.count == log.latest - cached.snapshot.version {
                snapshot = cached.snapshot
                sawMetadata = true
                commits = after
            }
        }
        if snapshot.version < 0, let checkpoint = log.checkpoint {
            try DeltaCheckpoint.replay(checkpoint.files, logPath: logPath, into: &snapshot, sawMetadata: &sawMetadata, id: id)
            snapshot.version = checkpoint.version
        }
        for version in commits where version > snapshot.version {
            try replayCommit(logPath + "/" + Self.fileName(version), into: &snapshot, sawMetadata: &sawMetadata, id: id)
            snapshot.version = version
        }
        guard sawMetadata else {
            throw TargetError(id, "\(logPath): no metaData action in the log; the table is corrupt")
        }
        if let identity { cache.store(snapshot, identity: identity, at: logPath, newest: newest, directory: directoryKnown ? directory : nil, listedAt: listedAt) }
        return snapshot
    }

    /// What replaying the log takes: the newest readable checkpoint (the one
    /// `_last_checkpoint` names when it is there) and the commits after it, without
    /// a gap. Nil for a table whose first commit is not written yet.
    struct Replayable {
        var checkpoint: (version: Int, files: [String])?
        /// The commits to replay after the checkpoint (all of them without one).
        var commits: [Int]
        /// Every commit file in the log.
        var allCommits: [Int]
        var latest: Int
    }

    static func replayable(logPath: String, id: ResourceID) throws(TargetError) -> Replayable? {
        guard let entries = Files.entries(in: logPath) else {
            throw TargetError(id, "cannot list \(logPath): \(String(cString: strerror(errno)))")
        }
        let listing = LogListing(entries.map(\.name))
        var checkpoint = listing.newestCheckpoint
        // `_last_checkpoint` is read only when the listing has it (most logs have none:
        // trying to open it cost more than the rest of an unchanged table's observation).
        if listing.names.contains("_last_checkpoint"), let hinted = DeltaCheckpoint.hinted(logPath: logPath), listing.checkpoints[hinted] != nil, hinted > (checkpoint ?? -1) {
            checkpoint = hinted
        }
        if listing.commits.isEmpty && checkpoint == nil {
            if let (version, name) = listing.uuidCheckpoints.max(by: { $0.key < $1.key }) {
                throw TargetError(id, "\(logPath)/\(name): a v2 checkpoint (version \(version)), which this version recognises but does not read yet; the table was written by an engine with the v2Checkpoint feature")
            }
            if holdsNoCommitYet(listing.names) { return nil }
            throw TargetError(id, "\(logPath) holds no commits; remove the empty directory or restore its log")
        }
        let start = checkpoint.map { $0 + 1 } ?? 0
        let needed = listing.commits.filter { $0 >= start }
        if checkpoint == nil, let first = listing.commits.first, first != 0 {
            if let (version, name) = listing.uuidCheckpoints.filter({ $0.key >= first - 1 }).min(by: { $0.key < $1.key }) {
                throw TargetError(id, "\(logPath)/\(name): the commits before version \(first) were cleaned up after a v2 checkpoint (version \(version)), which this version recognises but does not read yet")
            }
            throw TargetError(id, "\(logPath)/\(Self.fileName(0)) is missing and no checkpoint covers the commits before version \(first), so the table cannot be read; restore the log or write a checkpoint with the engine that cleaned it")
        }
        for (offset, version) in needed.enumerated() where version != start + offset {
            throw TargetError(id, "\(logPath)/\(Self.fileName(start + offset)) is missing: the log has a gap before version \(version), so the table cannot be read; restore the missing commit")
        }
        let latest = max(needed.last ?? -1, checkpoint ?? -1)
        return Replayable(checkpoint: checkpoint.map { ($0, listing.checkpoints[$0]!) }, commits: needed, allCommits: listing.commits, latest: latest)
    }

    /// Replays one commit file's actions into `snapshot`.
    static func replayCommit(_ path: String, into snapshot: inout DeltaSnapshot, sawMetadata: inout Bool, id: ResourceID) throws(TargetError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TargetError(id, "cannot read \(path)")
        }
        try replayCommit(data, at: path, into: &snapshot, sawMetadata: &sawMetadata, id: id)
    }

    /// Replays the actions of commit file `data` (read from `path`).
    static func replayCommit(_ data: Data, at path: String, into snapshot: inout DeltaSnapshot, sawMetadata: inout Bool, id: ResourceID) throws(TargetError) {
        var lineIndex = 0
        var failure: TargetError?
        Self.forEachLine(data) { line in
            lineIndex += 1
            guard failure == nil, !line.allSatisfy({ $0 == 32 || $0 == 13 }) else { return }
            let actions: DeltaActions
            do throws(JSONReader.Failure) {
                guard let read = try DeltaActions.read(line: line) else {
                    failure = TargetError(id, "\(path):\(lineIndex): not a JSON action; the commit is corrupt (the line is JSON, not an object)")
                    return
                }
                actions = read
            } catch {
                failure = TargetError(id, "\(path):\(lineIndex): not a JSON action; the commit is corrupt (\(error.message) at byte \(error.offset + 1))")
                return
            }
            do throws(TargetError) { try actions.apply(to: &snapshot, sawMetadata: &sawMetadata, at: "\(path):\(lineIndex)", id: id) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Calls `body` with each line of `data` (without its newline).
    static func forEachLine(_ data: Data, _ body: (UnsafeRawBufferPointer) -> Void) {
        data.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            var start = 0
            while start < bytes.count {
                // memchr finds each newline (a metaData line is kilobytes long).
                let end = memchr(base + start, 0x0A, bytes.count - start).map { UnsafeRawPointer($0) - base } ?? bytes.count
                if end > start { body(UnsafeRawBufferPointer(rebasing: bytes[start..<end])) }
                start = end + 1
            }
        }
    }

    static func replay(_ action: [String: Any], into snapshot: inout DeltaSnapshot, sawMetadata: inout Bool, at place: String, id: ResourceID) throws(TargetError) {
        try DeltaActions(tree: action).apply(to: &snapshot, sawMetadata: &sawMetadata, at: place, id: id)
    }

    /// Writes commit `version` atomically and only if absent: the file is written
    /// aside, flushed, then hard-linked into place, which fails if another writer
    /// won the race for that version.
    func commit(version: Int, actions: [[String: Any]]) throws(TargetError) {
        var body = Data()
        do throws(JSONWriter.Failure) {
            for action in actions {
                body.append(contentsOf: try JSONWriter.data(action))
                body.append(UInt8(ascii: "\n"))
            }
        } catch {
            throw TargetError(id, "cannot encode commit \(version): \(error.message)")
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

