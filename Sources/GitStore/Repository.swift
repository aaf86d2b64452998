internal import CGit2
import Foundation
import Runtime
import Synchronization

/// A git error: which libgit2 call failed, and git's own message.
public struct GitError: Error, Sendable, CustomStringConvertible {
    public var call: String
    public var code: Int32
    public var message: String

    public var description: String { "\(call) failed: \(message)" }

    public init(call: String, code: Int32, message: String) {
        self.call = call
        self.code = code
        self.message = message
    }

    /// Reads `git_error_last()` right after a failing call (it is per thread).
    static func last(_ call: String, code: Int32) -> GitError {
        let message = git_error_last().flatMap { $0.pointee.message.map { String(cString: $0) } } ?? "error \(code)"
        return GitError(call: call, code: code, message: message)
    }

    /// True when the error means "no such object or reference".
    public var isNotFound: Bool { code == GIT_ENOTFOUND.rawValue }
}

/// A 40-hex-digit object id, copied out of libgit2.
public struct ObjectID: Sendable, Hashable, CustomStringConvertible {
    public var hex: String
    public var description: String { hex }
    public var short: String { String(hex.prefix(7)) }

    init(_ oid: UnsafePointer<git_oid>) {
        // Formatted straight into the string's storage: every blob of a revision gets one.
        hex = String(unsafeUninitializedCapacity: 40) { buffer in
            buffer.withMemoryRebound(to: CChar.self) { _ = git_oid_fmt($0.baseAddress, oid) }
            return 40
        }
    }
}

/// A commit, as a value.
public struct Commit: Sendable, Hashable {
    public var id: ObjectID
    public var summary: String
    public var time: Date
}

/// A file read from a tree at a revision.
public struct Blob: Sendable {
    /// Path relative to the repository root, with `/` separators.
    public var path: String
    public var id: ObjectID
    public var bytes: [UInt8]
    /// A symbolic link (mode 120000): `bytes` is the path it points to.
    public var isSymbolicLink = false
    /// Not read: the caller said it has no use for these bytes (`bytes` is empty).
    public var omitted = false
}

let libgit2Ready: Bool = {
    git_libgit2_init()
    // Repositories may be owned by another uid (CI checkouts, containers).
    _ = reconcile_git_disable_owner_validation()
    return true
}()

/// One open repository; owns its `git_repository` handle.
///
/// Not `Sendable`: keep an instance in one isolation domain and pass the values it
/// returns (`Commit`, `Blob`) instead.
public final class Repository {
    static var ready: Bool { libgit2Ready }

    let handle: OpaquePointer
    /// The working directory, with a trailing `/`; nil for a bare repository.
    public let workdir: String?

    /// Opens the repository containing `path` (searching parent directories).
    public convenience init(discoveringFrom path: String) throws(GitError) {
        _ = libgit2Ready
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        let code = git_repository_discover(&buffer, path, 0, nil)
        guard code == 0, let found = buffer.ptr else { throw GitError.last("git_repository_discover(\(path))", code: code) }
        try self.init(at: String(cString: found))
    }

    /// Opens the repository at exactly `path` (a `.git` directory or a work tree).
    public init(at path: String) throws(GitError) {
        _ = libgit2Ready
        var repo: OpaquePointer?
        let code = git_repository_open(&repo, path)
        guard code == 0, let repo else { throw GitError.last("git_repository_open(\(path))", code: code) }
        handle = repo
        workdir = git_repository_workdir(repo).map { String(cString: $0) }
    }

    deinit { git_repository_free(handle) }

    /// Resolves any revision git understands (branch, tag, sha, `HEAD~2`) to a commit.
    public func resolve(_ revision: String) throws(GitError) -> Commit {
        var object: OpaquePointer?
        var code = git_revparse_single(&object, handle, revision)
        guard code == 0, let object else { throw GitError.last("git_revparse_single(\(revision))", code: code) }
        defer { git_object_free(object) }
        var peeled: OpaquePointer?
        code = git_object_peel(&peeled, object, GIT_OBJECT_COMMIT)
        guard code == 0, let peeled else { throw GitError.last("git_object_peel(\(revision))", code: code) }
        defer { git_object_free(peeled) }
        let summary = git_commit_summary(peeled).map { String(cString: $0) } ?? ""
        let time = Date(timeIntervalSince1970: TimeInterval(git_commit_time(peeled)))
        return Commit(id: ObjectID(git_commit_id(peeled)), summary: summary, time: time)
    }

    /// The name of the branch HEAD points at, if any.
    public func currentBranch() -> String? {
        var ref: OpaquePointer?
        guard git_repository_head(&ref, handle) == 0, let ref else { return nil }
        defer { git_reference_free(ref) }
        guard git_reference_is_branch(ref) == 1 else { return nil }
        return git_reference_shorthand(ref).map { String(cString: $0) }
    }

    /// Reads every blob at `commit` whose path `include` accepts, descending only into
    /// directories `descend` accepts. Straight from the object database: no checkout.
    /// `skip(path, id)`: the caller has no use for that blob's bytes (it decoded the same
    /// id before: a blob's id is its bytes' hash); it is listed, marked omitted, not read.
    public func blobs(
        at commit: Commit,
        descend: (String) -> Bool,
        include: (String) -> Bool,
        skip: (String, String) -> Bool = { _, _ in false }
    ) throws(GitError) -> [Blob] {
        var oid = git_oid()
        git_oid_fromstr(&oid, commit.id.hex)
        var commitObject: OpaquePointer?
        var code = git_commit_lookup(&commitObject, handle, &oid)
        guard code == 0, let commitObject else { throw GitError.last("git_commit_lookup(\(commit.id.short))", code: code) }
        defer { git_commit_free(commitObject) }
        var tree: OpaquePointer?
        code = git_commit_tree(&tree, commitObject)
        guard code == 0, let tree else { throw GitError.last("git_commit_tree(\(commit.id.short))", code: code) }
        defer { git_tree_free(tree) }
        var listed: [Listed] = []
        try walk(tree: tree, prefix: "", descend: descend, include: include, skip: skip, into: &listed)
        return try read(listed).sorted { $0.path < $1.path }
    }

    /// Whether `path` names a file (a blob) in the tree of `commit`.
    public func containsFile(_ path: String, at commit: Commit) -> Bool {
        var oid = git_oid()
        git_oid_fromstr(&oid, commit.id.hex)
        var commitObject: OpaquePointer?
        guard git_commit_lookup(&commitObject, handle, &oid) == 0, let commitObject else { return false }
        defer { git_commit_free(commitObject) }
        var tree: OpaquePointer?
        guard git_commit_tree(&tree, commitObject) == 0, let tree else { return false }
        defer { git_tree_free(tree) }
        var entry: OpaquePointer?
        guard git_tree_entry_bypath(&entry, tree, path) == 0, let entry else { return false }
        defer { git_tree_entry_free(entry) }
        return git_tree_entry_type(entry) == GIT_OBJECT_BLOB
    }

    /// A blob the walk found, to read (or listed only: `omitted`).
    struct Listed {
        var path: String
        var oid: git_oid
        var id: ObjectID
        var isSymbolicLink: Bool
        var omitted: Bool
    }

    private func walk(
        tree: OpaquePointer, prefix: String,
        descend: (String) -> Bool, include: (String) -> Bool, skip: (String, String) -> Bool,
        into found: inout [Listed]
    ) throws(GitError) {
        let count = git_tree_entrycount(tree)
        for index in 0..<count {
            guard let entry = git_tree_entry_byindex(tree, index) else { continue }
            let name = String(cString: git_tree_entry_name(entry))
            let path = prefix + name
            let id = git_tree_entry_id(entry)!
            switch git_tree_entry_type(entry) {
            case GIT_OBJECT_TREE:
                guard descend(path) else { continue }
                var subtree: OpaquePointer?
                let code = git_tree_lookup(&subtree, handle, id)
                guard code == 0, let subtree else { throw GitError.last("git_tree_lookup(\(path))", code: code) }
                defer { git_tree_free(subtree) }
                try walk(tree: subtree, prefix: path + "/", descend: descend, include: include, skip: skip, into: &found)
            case GIT_OBJECT_BLOB:
                guard include(path) else { continue }
                let isLink = git_tree_entry_filemode(entry) == GIT_FILEMODE_LINK, objectID = ObjectID(id)
                found.append(Listed(path: path, oid: id.pointee, id: objectID, isSymbolicLink: isLink, omitted: !isLink && skip(path, objectID.hex)))
            default:
                continue
            }
        }
    }

    /// The blobs `listed` names, read. From 64 on, they are read on every core, each thread
    /// through its own handle on the repository (libgit2 objects are not shared across
    /// threads): 500 files of 20 manifests each were read on one core before.
    private func read(_ listed: [Listed]) throws(GitError) -> [Blob] {
        guard listed.count >= 64, let gitdir = git_repository_path(handle).map({ String(cString: $0) }) else {
            return try Self.read(listed[...], in: handle)
        }
        let parts = Parallel.map(listed) { part in
            [Result { () throws(GitError) -> [Blob] in
                let own = try Repository(at: gitdir)
                return try withExtendedLifetime(own) { () throws(GitError) -> [Blob] in try Self.read(part[...], in: own.handle) }
            }]
        }
        var blobs: [Blob] = []
        blobs.reserveCapacity(listed.count)
        for part in parts { blobs += try part.get() }
        return blobs
    }

    private static func read(_ listed: ArraySlice<Listed>, in handle: OpaquePointer) throws(GitError) -> [Blob] {
        var blobs: [Blob] = []
        blobs.reserveCapacity(listed.count)
        for entry in listed {
            var oid = entry.oid
            if entry.omitted {
                blobs.append(Blob(path: entry.path, id: entry.id, bytes: [], isSymbolicLink: false, omitted: true))
                continue
            }
            var blob: OpaquePointer?
            let code = git_blob_lookup(&blob, handle, &oid)
            guard code == 0, let blob else { throw GitError.last("git_blob_lookup(\(entry.path))", code: code) }
            defer { git_blob_free(blob) }
            // The raw content is valid only until the blob is freed: copy it now.
            let size = Int(git_blob_rawsize(blob))
            var bytes: [UInt8] = []
            if size > 0, let raw = git_blob_rawcontent(blob) {
                bytes = Array(UnsafeBufferPointer(start: raw.assumingMemoryBound(to: UInt8.self), count: size))
            }
            blobs.append(Blob(path: entry.path, id: entry.id, bytes: bytes, isSymbolicLink: entry.isSymbolicLink))
        }
        return blobs
    }
}

extension Repository {
    /// Roots already found, by the commit asked about (bounded; `watch` asks once per
    /// revision, and each new revision's walk stops at the last one it knows).
    private static let roots = Mutex<[String: String]>([:])

    /// The first commit of the history that leads to `commit` by first parents: the
    /// same in every clone of the repository, whatever was merged into it since.
    public func firstParentRoot(of commit: String) throws(GitError) -> String {
        var current = commit
        while true {
            if let known = Self.roots.withLock({ $0[current] }) {
                Self.remember(commit, root: known)
                return known
            }
            var oid = git_oid()
            git_oid_fromstr(&oid, current)
            var object: OpaquePointer?
            let code = git_commit_lookup(&object, handle, &oid)
            guard code == 0, let object else {
                if current != commit, git_repository_is_shallow(handle) == 1 {
                    throw GitError(call: "git_commit_lookup", code: code, message: "this is a shallow clone: its history stops at \(current.prefix(7)), before its first commit; fetch it whole (git fetch --unshallow; in GitHub Actions, actions/checkout with fetch-depth: 0)")
                }
                throw GitError.last("git_commit_lookup(\(current.prefix(7)))", code: code)
            }
            defer { git_commit_free(object) }
            guard git_commit_parentcount(object) > 0, let parent = git_commit_parent_id(object, 0) else {
                Self.remember(commit, root: current)
                return current
            }
            current = ObjectID(parent).hex
        }
    }

    private static func remember(_ commit: String, root: String) {
        roots.withLock { roots in
            if roots.count >= 1024 { roots.removeAll() }
            roots[commit] = root
        }
    }
}
