import Foundation
import GitStore
import Loading
import Model

/// What a plan or apply says besides the plan: uncommitted files it leaves out, a lock
/// held by another process, a rollback's pin.
extension Workspace {
    /// Files under the project's manifests/ or environments/ that differ from the
    /// commit being read (edited, staged, new or deleted): a plan of the commit does
    /// not contain them. Empty when reading the working tree or a bare repository.
    public func uncommittedFiles() throws(GitError) -> [String] {
        guard !options.worktree, repository.workdir != nil else { return [] }
        guard try repository.resolve("HEAD").id.hex == source.revision else { return [] }
        let prefixes = [project + SourceSet.manifestDirectory + "/", project + SourceSet.environmentDirectory + "/"]
        return try repository.uncommittedChanges(includeUntracked: true, under: prefixes).filter { path in prefixes.contains { path.hasPrefix($0) } }
    }

    /// A warning naming the uncommitted files a plan of the commit leaves out, if any
    /// (or saying that they could not be looked for).
    public func uncommittedWarning(verb: String) -> String? {
        let files: [String]
        do {
            files = try uncommittedFiles()
        } catch {
            return "cannot tell whether files under manifests/ or environments/ have uncommitted changes (\(error.message)); this \(verb) reads commit \(source.shortRevision)"
        }
        guard !files.isEmpty else { return nil }
        let shown = files.prefix(10).joined(separator: ", ") + (files.count > 10 ? " and \(files.count - 10) more" : "")
        return "\(files.count) file\(files.count == 1 ? " has" : "s have") uncommitted changes that this \(verb) does not include (it reads commit \(source.shortRevision)): \(shown); commit them, or pass --worktree to \(verb) the working tree"
    }

    /// Who holds the environment's apply lock, if anyone (a plan or drift taken now may
    /// be out of date when that apply ends).
    public func lockNotice(_ environment: Environment, store: (any StateStore)?) async -> String? {
        guard let store, let lock = try? await store.currentLock(environment.name) else { return nil }
        if await ProcessIdentity.liveness(lock, environment: environment.name, store: store) == .dead {
            return "environment \(environment.name) is still locked by \(lock.description), which is no longer running: that apply was interrupted, and the next apply takes the lock over and settles it"
        }
        return "environment \(environment.name) is locked by \(lock.description): changes may be in flight, so this may be out of date when it finishes"
    }

    /// Says when a rollback pinned the environment away from the branch (or the run's
    /// revision) it followed, and how far behind it is.
    public func pinNotice(_ environment: Environment, store: (any StateStore)?) async -> String? {
        guard let store, let hold = try? await store.hold(environment.name), let followed = hold.followed,
              case .revision(let pinned) = environment.source else { return nil }
        let what: String
        var behind = ""
        switch followed {
        case .branch(let branch):
            what = "the branch \(branch)"
            if let tip = try? repository.resolve(manifestRevision(.init(name: "", target: environment.target, source: followed)) ?? branch),
               let pin = try? repository.resolve(pinned), tip.id != pin.id {
                behind = ", whose tip is now \(tip.id.short)"
            }
        case .current: what = "the revision reconcile runs on"
        case .revision(let revision): what = "revision \(revision.prefix(7))"
        }
        return "environment \(environment.name) is pinned at \(pinned.prefix(7)) by a rollback (\(hold.reason)); it followed \(what) before\(behind): run reconcile release --env \(environment.name) to follow it again"
    }
}
