import Loading
import Model

/// What the service reads and writes at the repository's edge: environments, their
/// rendered manifests, their targets and state stores, and pin commits. `Workspace`
/// is the real one (git and files); the service's tests use one in memory.
public protocol Project: AnyObject {
    /// Who acts, for history, locks, holds and commits.
    var actor: String { get }
    /// Who this project is to a state store that several projects share: the same in
    /// every clone and CI runner, different for another repository or directory.
    func identity() throws(ReconcileError) -> String
    /// Whether this run reads the working tree rather than a commit.
    var readsWorktree: Bool { get }
    /// Says something worth knowing that does not stop the command.
    func warning(_ message: String)
    /// The environment file, decoded strictly.
    func environment(_ name: String) throws(ReconcileError) -> Environment
    /// The names of every environment file, readable or not.
    var environmentNames: [String] { get }
    /// The environment's manifests, rendered and validated, at `revision` when given,
    /// else at the environment's source revision.
    func desired(_ environment: Environment, at revision: String?) throws(ReconcileError) -> DesiredState
    /// The environment's target (the service makes one per run and keeps it).
    func target(for environment: Environment) -> any Target
    /// The environment's state store; nil when it does not exist yet and `create` is false.
    func store(for environment: Environment, create: Bool) throws(ReconcileError) -> (any StateStore)?
    /// The full commit id `revision` names.
    func commit(_ revision: String) throws(ReconcileError) -> String
    /// Who signed commit `revision`, checked against `requirement`; an error when it is
    /// unsigned or signed by someone the requirement does not allow.
    func verifySignature(of revision: String, requirement: SignedCommits, environment: String) throws(ReconcileError) -> String
    /// Sends an audit entry just written to where the environment forwards its trail
    /// (nowhere by default); a delivery that fails is a warning, the entry stays stored.
    func forwardAudit(_ record: AuditRecord, of environment: Environment) async
    /// Writes a commit setting the environment's `spec.source`; returns its short id.
    func setSource(_ environment: Environment, to source: SourceSpec, message: String) throws(ReconcileError) -> String
}

/// What a verb says while it runs, in order, for an adapter to print or log as it
/// happens (a change's line as soon as it is recorded).
public enum ServiceEvent {
    /// The plan about to be applied (before any refusal is raised), and what the run cost so far.
    case planned(Plan, RunReport)
    /// One change was attempted and recorded.
    case changed(index: Int, of: Plan, ApplyReport.Outcome)
    /// A rollback wrote its pin commit (nil: already pinned there, no commit).
    case pinned(RollbackPin)
}

/// How an apply is run: when to stop, and where events go.
public struct ApplyControl {
    /// What the person at the terminal said when asked to apply a plan.
    public enum Answer: Sendable { case yes, no, noTerminal }

    public var shouldStop: @Sendable () -> Bool
    public var events: (ServiceEvent) -> Void
    /// Asked before applying in an environment with `policy.confirm: true`.
    public var confirm: (Plan) -> Answer = { _ in .yes }
    /// A closed change window holds the plan (no report, `heldByWindow`) instead of
    /// failing the apply: `watch` waits for the window to open.
    public var waitsForWindow = false

    public init(shouldStop: @escaping @Sendable () -> Bool = { false }, events: @escaping (ServiceEvent) -> Void = { _ in }) {
        self.shouldStop = shouldStop
        self.events = events
    }
}
