internal import CGit2
import Foundation

/// Who is acting, from git's configuration.
public struct Signature: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var email: String
    public var description: String { "\(name) <\(email)>" }

    public init(name: String, email: String) {
        self.name = name
        self.email = email
    }
}

extension Repository {
    /// `user.name` and `user.email` from git's configuration, if set.
    public func configuredSignature() -> Signature? {
        var signature: UnsafeMutablePointer<git_signature>?
        guard git_signature_default(&signature, handle) == 0, let signature else { return nil }
        defer { git_signature_free(signature) }
        return Signature(name: String(cString: signature.pointee.name), email: String(cString: signature.pointee.email))
    }

    /// Tracked files with uncommitted changes (staged or not); untracked files are
    /// ignored unless `includeUntracked` (then new files count too, ignored ones not).
    /// `under`: directories (relative to the root, no wildcards) to look in only, so a
    /// large untracked tree elsewhere (a lakehouse in the working tree) is never walked.
    public func uncommittedChanges(includeUntracked: Bool = false, under directories: [String] = []) throws(GitError) -> [String] {
        var options = git_status_options()
        git_status_options_init(&options, UInt32(GIT_STATUS_OPTIONS_VERSION))
        options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR
        options.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES.rawValue
        if includeUntracked {
            options.flags |= GIT_STATUS_OPT_INCLUDE_UNTRACKED.rawValue | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS.rawValue
        }
        if !directories.isEmpty {
            options.flags |= GIT_STATUS_OPT_DISABLE_PATHSPEC_MATCH.rawValue
        }
        // The pathspec's C strings live until the status list is built.
        let pathspec = directories.map { strdup($0.hasSuffix("/") ? $0 : $0 + "/") }
        defer { pathspec.forEach { free($0) } }
        var pointers = pathspec
        var list: OpaquePointer?
        let code = pointers.withUnsafeMutableBufferPointer { buffer -> Int32 in
            options.pathspec = git_strarray(strings: buffer.baseAddress, count: buffer.count)
            return git_status_list_new(&list, handle, &options)
        }
        guard code == 0, let list else { throw GitError.last("git_status_list_new", code: code) }
        defer { git_status_list_free(list) }
        var paths: [String] = []
        for index in 0..<git_status_list_entrycount(list) {
            guard let entry = git_status_byindex(list, index) else { continue }
            let delta = entry.pointee.head_to_index ?? entry.pointee.index_to_workdir
            if let path = delta?.pointee.new_file.path ?? delta?.pointee.old_file.path {
                paths.append(String(cString: path))
            }
        }
        return paths.sorted()
    }

    /// How the current branch stands against its upstream, if it has one.
    public func upstreamDivergence() -> (upstream: String, ahead: Int, behind: Int)? {
        var head: OpaquePointer?
        guard git_repository_head(&head, handle) == 0, let head else { return nil }
        defer { git_reference_free(head) }
        var upstream: OpaquePointer?
        guard git_branch_upstream(&upstream, head) == 0, let upstream else { return nil }
        defer { git_reference_free(upstream) }
        guard let local = git_reference_target(head), let remote = git_reference_target(upstream) else { return nil }
        var ahead = 0, behind = 0
        guard git_graph_ahead_behind(&ahead, &behind, handle, local, remote) == 0 else { return nil }
        let name = git_reference_shorthand(upstream).map { String(cString: $0) } ?? "upstream"
        return (name, ahead, behind)
    }

    /// Writes `contents` to `path` in the working tree, stages it and commits it on
    /// the current branch: the branch, the index and the file move together, so
    /// `git status` stays clean. Returns the new commit.
    public func commitFile(_ path: String, contents: [UInt8], message: String, author: Signature) throws(GitError) -> Commit {
        guard let workdir else { throw GitError(call: "commitFile", code: -1, message: "the repository is bare") }
        guard currentBranch() != nil else {
            throw GitError(call: "commitFile", code: -1, message: "HEAD is detached; check out a branch first")
        }
        do {
            try Data(contents).write(to: URL(fileURLWithPath: workdir + path), options: .atomic)
        } catch {
            throw GitError(call: "write \(path)", code: -1, message: error.localizedDescription)
        }
        var index: OpaquePointer?
        var code = git_repository_index(&index, handle)
        guard code == 0, let index else { throw GitError.last("git_repository_index", code: code) }
        defer { git_index_free(index) }
        code = git_index_add_bypath(index, path)
        guard code == 0 else { throw GitError.last("git_index_add_bypath(\(path))", code: code) }
        code = git_index_write(index)
        guard code == 0 else { throw GitError.last("git_index_write", code: code) }
        var treeID = git_oid()
        code = git_index_write_tree(&treeID, index)
        guard code == 0 else { throw GitError.last("git_index_write_tree", code: code) }
        var tree: OpaquePointer?
        code = git_tree_lookup(&tree, handle, &treeID)
        guard code == 0, let tree else { throw GitError.last("git_tree_lookup", code: code) }
        defer { git_tree_free(tree) }
        var parentID = git_oid()
        code = git_reference_name_to_id(&parentID, handle, "HEAD")
        guard code == 0 else { throw GitError.last("git_reference_name_to_id(HEAD)", code: code) }
        var parent: OpaquePointer?
        code = git_commit_lookup(&parent, handle, &parentID)
        guard code == 0, let parent else { throw GitError.last("git_commit_lookup(HEAD)", code: code) }
        defer { git_commit_free(parent) }
        var signature: UnsafeMutablePointer<git_signature>?
        code = git_signature_now(&signature, author.name, author.email)
        guard code == 0, let signature else { throw GitError.last("git_signature_now", code: code) }
        defer { git_signature_free(signature) }
        var commitID = git_oid()
        var parents: [OpaquePointer?] = [parent]
        code = parents.withUnsafeMutableBufferPointer { buffer in
            git_commit_create(&commitID, handle, "HEAD", signature, signature, nil, message, tree, 1, buffer.baseAddress)
        }
        guard code == 0 else { throw GitError.last("git_commit_create", code: code) }
        return try resolve(ObjectID(&commitID).hex)
    }
}
