import Foundation
import GitStore
import Loading
import Model

extension Workspace {
    /// Commits `environments/<name>.yaml` pinned to `revision` on the current branch,
    /// after checking that the working tree is clean and the branch not behind.
    public func pin(_ environment: Environment, to revision: String, message: String) throws(CommandFailure) -> Commit {
        try setSource(environment, to: .revision(revision), message: message)
    }

    /// Writes a commit setting the environment's `spec.source` (a pin, a branch, or
    /// none), on the current branch, after the same checks as a pin.
    public func setSource(_ environment: Environment, to wanted: SourceSpec, message: String) throws(CommandFailure) -> Commit {
        guard !options.worktree, options.revision == "HEAD" else {
            throw CommandFailure("promote and rollback write a commit on the current branch, so they read HEAD; drop --revision and --worktree")
        }
        guard let branch = repository.currentBranch() else {
            throw CommandFailure("HEAD is detached; check out the branch the environments live on, then run again")
        }
        let dirty: [String]
        do {
            dirty = try repository.uncommittedChanges()
        } catch {
            throw CommandFailure("cannot read the working tree's status: \(error)")
        }
        guard dirty.isEmpty else {
            throw CommandFailure("the working tree has uncommitted changes (\(dirty.prefix(5).joined(separator: ", "))\(dirty.count > 5 ? ", …" : "")); commit or stash them first, so the pin commit holds only the pin")
        }
        if let divergence = repository.upstreamDivergence(), divergence.behind > 0 {
            throw CommandFailure("branch \(branch) is behind \(divergence.upstream) by \(divergence.behind) commit\(divergence.behind == 1 ? "" : "s")\(divergence.ahead > 0 ? " and ahead by \(divergence.ahead): it has diverged" : ""); pull (and resolve) first")
        }
        guard let path = environment.origin?.path, let file = source.file(path) else {
            throw CommandFailure("internal error: environment \(environment.name) has no file")
        }
        let edited: String
        do {
            edited = try EnvironmentEditor.setSource(String(decoding: file.bytes, as: UTF8.self), path: path, to: wanted)
        } catch {
            throw CommandFailure([.error(at: environment.origin, error.message)])
        }
        let author = repository.configuredSignature() ?? Signature(name: ProcessInfo.processInfo.environment["USER"] ?? "reconcile", email: "reconcile@localhost")
        do {
            return try repository.commitFile(path, contents: Array(edited.utf8), message: message, author: author)
        } catch {
            throw CommandFailure("cannot commit the pin of \(path): \(error)")
        }
    }
}
