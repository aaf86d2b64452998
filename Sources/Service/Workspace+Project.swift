import GitStore
import Model
import Workspace

/// The repository as the service's project: git and files.
extension Workspace: Project {
    public var readsWorktree: Bool { options.worktree }

    public func warning(_ message: String) { warn(message) }

    /// The first commit of the repository's history (by first parents from HEAD) and
    /// the project's directory in it.
    public func identity() throws(ReconcileError) -> String {
        do throws(GitError) {
            let head: String
            if let commit = source.commit { head = commit.id.hex } else { head = try repository.resolve("HEAD").id.hex }
            let root = try repository.firstParentRoot(of: head)
            return "git:\(root.prefix(12))/\(project)"
        } catch {
            throw ReconcileError("cannot tell which project this is (the first commit of its history): \(error.message)", kind: .source)
        }
    }

    public var environmentNames: [String] { Set(loaded.environments.keys).union(loaded.brokenEnvironments.keys).sorted() }

    public func target(for environment: Environment) -> any Target {
        routedTarget(for: environment)
    }

    public func store(for environment: Environment, create: Bool) throws(ReconcileError) -> (any StateStore)? {
        create ? try store(for: environment) : try existingStore(for: environment)
    }

    public func commit(_ revision: String) throws(ReconcileError) -> String {
        do throws(GitError) { return try repository.resolve(revision).id.hex } catch {
            throw ReconcileError("unknown revision \"\(revision)\": \(error.message)", kind: .invalid)
        }
    }

    public func forwardAudit(_ record: AuditRecord, of environment: Environment) async {
        await forwardAuditEntry(record, of: environment)
    }

    public func setSource(_ environment: Environment, to source: SourceSpec, message: String) throws(ReconcileError) -> String {
        try writeSource(environment, to: source, message: message).id.short
    }
}
