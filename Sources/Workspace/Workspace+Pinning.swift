import Foundation
import GitStore
import Loading
import Model

extension Workspace {
    /// Writes a commit setting the environment's `spec.source` (a pin, a branch, or
    /// none), on the current branch, after the same checks as a pin.
    public func writeSource(_ environment: Environment, to wanted: SourceSpec, message: String) throws(ReconcileError) -> Commit {
        guard !options.worktree, options.revision == "HEAD" else {
            throw ReconcileError("promote and rollback write a commit on the current branch, so they read HEAD; drop --revision and --worktree", kind: .invalid)
        }
        guard let branch = repository.currentBranch() else {
            throw ReconcileError("HEAD is detached; check out the branch the environments live on, then run again", kind: .source)
        }
        let dirty: [String]
        do {
            dirty = try repository.uncommittedChanges()
        } catch {
            throw ReconcileError("cannot read the working tree's status: \(error)", kind: .source)
        }
        guard dirty.isEmpty else {
            throw ReconcileError("the working tree has uncommitted changes (\(dirty.prefix(5).joined(separator: ", "))\(dirty.count > 5 ? ", …" : "")); commit or stash them first, so the pin commit holds only the pin", kind: .source)
        }
        if let divergence = repository.upstreamDivergence(), divergence.behind > 0 {
            throw ReconcileError("branch \(branch) is behind \(divergence.upstream) by \(divergence.behind) commit\(divergence.behind == 1 ? "" : "s")\(divergence.ahead > 0 ? " and ahead by \(divergence.ahead): it has diverged" : ""); pull (and resolve) first", kind: .source)
        }
        guard let path = environment.origin?.path, let file = source.file(path) else {
            throw ReconcileError("internal error: environment \(environment.name) has no file", kind: .bug)
        }
        let edited: String
        do {
            edited = try EnvironmentEditor.setSource(String(decoding: file.bytes, as: UTF8.self), path: path, to: wanted)
        } catch {
            throw ReconcileError([.error(at: environment.origin, error.message)], kind: .invalid)
        }
        let author = repository.configuredSignature() ?? Signature(name: ProcessInfo.processInfo.environment["USER"] ?? "reconcile", email: "reconcile@localhost")
        do {
            return try repository.commitFile(path, contents: Array(edited.utf8), message: message, author: author)
        } catch {
            throw ReconcileError("cannot commit the pin of \(path): \(error)", kind: .source)
        }
    }
}
