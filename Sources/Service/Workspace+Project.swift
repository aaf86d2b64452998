import GitStore
import Model
import Workspace

/// The repository as the service's project: git and files.
extension Workspace: Project {
    public var readsWorktree: Bool { options.worktree }

    public func warning(_ message: String) { warn(message) }

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
