import Model
import Service
import Synchronization
import Workspace

/// This replica's election, kept across cycles and made again when the environment
/// moves its state store. Without a shared store there is one replica: it leads.
final class Election: Sendable {
    private let current = Mutex<(reference: String, election: any LeaderElection)?>(nil)

    func leads(_ environment: Environment, in project: any Project) async throws(ReconcileError) -> Bool {
        guard let reference = environment.statePostgres else {
            current.withLock { $0 = nil }
            return true
        }
        // A shared store always elects: never lead by default.
        guard let workspace = project as? Workspace else {
            throw ReconcileError("internal error: watch runs on a repository, not a \(type(of: project))", kind: .bug)
        }
        let existing = current.withLock { $0?.reference == reference ? $0?.election : nil }
        let election: any LeaderElection
        if let existing {
            election = existing
        } else {
            guard let made = try workspace.leaderElection(for: environment) else { return true }
            current.withLock { $0 = (reference, made) }
            election = made
        }
        do throws(TargetError) { return try await election.lead() } catch { throw ReconcileError(store: error) }
    }
}
