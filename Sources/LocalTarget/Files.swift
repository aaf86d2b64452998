import Foundation
import Synchronization
import Model
import Runtime

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

    /// Whether snapshots are kept at all (see `LocalLakehouse.keepSnapshots`).
    let keeping = Atomic<Bool>(true)

    struct Identity: Equatable, Sendable {
        var version: Int
        var inode: UInt64
        var size: Int
        var modified: Int
    }

    /// The `_delta_log` directory as it was listed: when its inode and modification
    /// time are unchanged, no entry was added, removed or renamed since.
    struct Listing: Equatable, Sendable {
        var inode: UInt64
        var modified: Int
        /// The newest file, whose identity must hold too.
        var newest: String
    }

    /// What observing a table needs of its snapshot, made once when it is kept.
    struct ObservedTable: Sendable {
        var version: Int
        var spec: TableSpec
        var hasData: Bool

        init(_ snapshot: DeltaSnapshot) {
            version = snapshot.version
            spec = snapshot.spec
            hasData = !snapshot.liveFiles.isEmpty
        }
    }

    struct Entry: Sendable {
        var snapshot: DeltaSnapshot
        var table: ObservedTable
        var identity: Identity
        /// Set only when the directory was last modified well before it was listed: a
        /// directory changed twice within one clock tick keeps its time (git's "racily
        /// clean" problem), so a recent one is always listed again.
        var listing: Listing?
    }

    /// How long before its listing a directory must have been modified for its time to be trusted.
    static let settledNanoseconds = 2_000_000_000

    private let entries = Mutex<[String: Entry]>([:])

    func snapshot(at path: String) -> (snapshot: DeltaSnapshot, identity: Identity)? {
        entries.withLock { $0[path].map { ($0.snapshot, $0.identity) } }
    }

    /// The snapshot kept for `path` when its directory and newest file are provably as
    /// they were when listed (two `stat` calls); nil means list and read the log.
    func unchanged(at path: String) -> DeltaSnapshot? {
        guard let (listing, identity, snapshot) = entries.withLock({ entries in
            entries[path].flatMap { entry in entry.listing.map { ($0, entry.identity, entry.snapshot) } }
        }), Self.holds(listing, identity, directory: AT_FDCWD, path: path) else { return nil }
        return snapshot
    }

    /// The same proof for observing: what the table's resource needs, without copying
    /// its snapshot. `path` is the log's absolute path (the key); the two `stat` calls
    /// go through `relative` from the open directory `directory` (a short path walk).
    func unchangedTable(at path: String, directory: Int32, relative: String) -> ObservedTable? {
        guard let (listing, identity, table) = entries.withLock({ entries in
            entries[path].flatMap { entry in entry.listing.map { ($0, entry.identity, entry.table) } }
        }), Self.holds(listing, identity, directory: directory, path: relative) else { return nil }
        return table
    }

    private static func holds(_ listing: Listing, _ identity: Identity, directory: Int32, path: String) -> Bool {
        var info = stat()
        guard fstatat(directory, path, &info, 0) == 0, UInt64(info.st_ino) == listing.inode, nanoseconds(info.st_mtim) == listing.modified else { return false }
        guard fstatat(directory, path + "/" + listing.newest, &info, 0) == 0 else { return false }
        return Identity(version: identity.version, inode: UInt64(info.st_ino), size: Int(info.st_size), modified: nanoseconds(info.st_mtim)) == identity
    }

    /// `directory`: the log directory's `stat` taken before it was listed, at `listedAt`
    /// (nanoseconds of the real-time clock).
    func store(_ snapshot: DeltaSnapshot, identity: Identity, at path: String, newest: String, directory: stat?, listedAt: Int) {
        guard keeping.load(ordering: .relaxed) else { return }
        var listing: Listing?
        if let directory, listedAt - Self.nanoseconds(directory.st_mtim) > Self.settledNanoseconds {
            listing = Listing(inode: UInt64(directory.st_ino), modified: Self.nanoseconds(directory.st_mtim), newest: newest)
        }
        let entry = Entry(snapshot: snapshot, table: ObservedTable(snapshot), identity: identity, listing: listing)
        entries.withLock { $0[path] = entry }
    }

    /// Forgets the logs under `root` that are not in `present` (tables gone since): the
    /// cache holds only what the lakehouse holds.
    func forget(under root: String, except present: Set<String>) {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        entries.withLock { entries in
            for path in entries.keys where path.hasPrefix(prefix) && !present.contains(path) { entries[path] = nil }
        }
    }

    /// How many logs are kept under `root`.
    func count(under root: String) -> Int {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        return entries.withLock { $0.keys.filter { $0.hasPrefix(prefix) }.count }
    }

    static func nanoseconds(_ time: timespec) -> Int { Int(time.tv_sec) * 1_000_000_000 + Int(time.tv_nsec) }

    /// Now, on the real-time clock that file times are set from.
    static func now() -> Int {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return nanoseconds(time)
    }
}
