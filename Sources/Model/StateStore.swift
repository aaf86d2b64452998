import Foundation

/// Who holds an environment's apply lock.
public struct LockInfo: Sendable, Hashable, Codable {
    public var owner: String
    public var pid: Int32
    public var host: String
    /// The process's start time as the kernel reports it, so a reused pid is not
    /// mistaken for the holder.
    public var processStart: String
    public var since: Date
    public var command: String
    /// The holder's PID namespace (`/proc/self/ns/pid`), so a pid is only checked
    /// where it means the same process; empty when it could not be read.
    public var pidNamespace: String

    public init(owner: String, pid: Int32, host: String, processStart: String, since: Date, command: String, pidNamespace: String = "") {
        self.owner = owner
        self.pid = pid
        self.host = host
        self.processStart = processStart
        self.since = since
        self.command = command
        self.pidNamespace = pidNamespace
    }

    public var description: String { "\(command) by \(owner) (pid \(pid) on \(host), since \(Self.format(since)))" }

    public static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

/// One change of an apply, as the journal records it.
public struct ChangeRecord: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, Codable {
        case pending, started, applied, failed, notAttempted = "not-attempted", interrupted
    }

    public var position: Int
    public var resource: ResourceID
    public var action: Action
    public var status: Status
    public var error: String?
    /// The Delta version the change left its table at (local tables), so history says
    /// which table version an apply produced.
    public var tableVersion: Int?

    public init(position: Int, resource: ResourceID, action: Action, status: Status, error: String? = nil, tableVersion: Int? = nil) {
        self.position = position
        self.resource = resource
        self.action = action
        self.status = status
        self.error = error
        self.tableVersion = tableVersion
    }
}

/// A change whose effect on the target the journal cannot vouch for: it started and
/// the process died, it failed (a request may have landed anyway), or it was recorded
/// applied in an apply that was interrupted before the target committed it. Resolved
/// by observation on the next run.
public struct Intent: Sendable, Hashable {
    public var apply: Int
    public var position: Int
    public var resource: ResourceID
    public var action: Action

    public init(apply: Int, position: Int, resource: ResourceID, action: Action) {
        self.apply = apply
        self.position = position
        self.resource = resource
        self.action = action
    }
}

/// What resolving an intent does to the inventory.
public enum InventoryEffect: Sendable, Hashable {
    case keep
    case set(Inventory.Entry)
    case remove
}

/// One apply in an environment's history.
public struct ApplyRecord: Sendable, Hashable {
    /// `selected`: an apply restricted by `--select`, which does not make its revision
    /// the environment's (drift, promotion and rollback start from full applies);
    /// `destroy`: `preview destroy` deleting everything a preview created.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable { case apply, heal, rollback, selected, destroy }
    /// `stopped`: asked to stop (SIGTERM) between changes; `interrupted`: the process died.
    public enum Outcome: String, Sendable, Hashable, Codable, CaseIterable { case running, succeeded, failed, interrupted, stopped }

    /// SQL over the `applies` table's `kind` and `outcome` for the rows
    /// `lastSuccessfulApply` considers: a whole revision applied with success, or a row
    /// whose kind or outcome does not read (it is read, and fails: a damaged record
    /// never lets an older one stand in for it).
    public static let lastSuccessfulCondition =
        "((outcome = '\(Outcome.succeeded.rawValue)' AND kind NOT IN ('\(Kind.selected.rawValue)', '\(Kind.destroy.rawValue)'))"
        + " OR kind NOT IN (\(known(Kind.self))) OR outcome NOT IN (\(known(Outcome.self))))"

    /// SQL for the rows `runningApplies` considers: marked running, or with an outcome
    /// that does not read (it might be running: it is read, and fails).
    public static let runningCondition = "(outcome = '\(Outcome.running.rawValue)' OR outcome NOT IN (\(known(Outcome.self))))"

    private static func known<T: CaseIterable & RawRepresentable<String>>(_ type: T.Type) -> String {
        T.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
    }

    public var id: Int
    public var environment: String
    public var revision: String
    public var planDigest: String
    public var actor: String
    public var kind: Kind
    public var startedAt: Date
    public var finishedAt: Date?
    public var outcome: Outcome
    public var changes: [ChangeRecord]

    public init(id: Int, environment: String, revision: String, planDigest: String, actor: String, kind: Kind,
                startedAt: Date, finishedAt: Date?, outcome: Outcome, changes: [ChangeRecord]) {
        self.id = id
        self.environment = environment
        self.revision = revision
        self.planDigest = planDigest
        self.actor = actor
        self.kind = kind
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.changes = changes
    }
}

/// Promotion into an environment is held (after a rollback) until released.
public struct Hold: Sendable, Hashable {
    public var environment: String
    public var reason: String
    public var revision: String
    public var actor: String
    public var since: Date
    /// What the environment's `spec.source` said before a rollback pinned it, so
    /// `release` can restore it: nil when it was already pinned.
    public var followed: SourceSpec?

    public init(environment: String, reason: String, revision: String, actor: String, since: Date, followed: SourceSpec? = nil) {
        self.environment = environment
        self.reason = reason
        self.revision = revision
        self.actor = actor
        self.since = since
        self.followed = followed
    }
}

/// What an environment remembers between runs: history, inventory, its lock, the
/// journal of the apply in progress, and holds. One implementation keeps it in an
/// SQLite file in the target's root; a shared store can implement the same.
/// Whether a lock's holder runs: decided only where it can be proven.
public enum LockLiveness: Sendable, Equatable {
    case alive
    /// Provably gone (its process ended, or its database session with it).
    case dead
    /// Cannot be proven either way (why, for the message).
    case unknown(String)
}

public protocol StateStore: AuditLog {
    var location: String { get }

    /// Whether `lock`'s holder is alive, where the store can prove it (a lock tied to
    /// the holder's database session); nil where only the holder's process can tell.
    func liveness(of lock: LockInfo, environment: String) async throws(TargetError) -> LockLiveness?

    func inventory(_ environment: String) async throws(TargetError) -> Inventory

    /// Takes the lock, or returns who holds it.
    func acquireLock(_ environment: String, _ lock: LockInfo) async throws(TargetError) -> LockInfo?
    func releaseLock(_ environment: String, pid: Int32) async throws(TargetError)
    func currentLock(_ environment: String) async throws(TargetError) -> LockInfo?
    /// Removes the lock whoever holds it.
    func breakLock(_ environment: String) async throws(TargetError)
    /// In one transaction: if `expected` still holds the lock, replaces it with
    /// `replacement` (nil: removes it) and returns nil; else returns who holds it now
    /// (nil holder and nil replacement: nothing to do). Of several processes taking
    /// over one dead holder's lock, exactly one wins.
    func replaceLock(_ environment: String, expected: LockInfo, with replacement: LockInfo?) async throws(TargetError) -> LockInfo?

    /// Writes the journal of a new apply (every change pending) and returns its id.
    func startApply(_ environment: String, revision: String, planDigest: String, actor: String, kind: ApplyRecord.Kind,
                    changes: [(ResourceID, Action)]) async throws(TargetError) -> Int
    func changeStarted(_ apply: Int, position: Int) async throws(TargetError)
    /// Marks a change applied and records its effect on the inventory, together.
    func changeApplied(_ apply: Int, position: Int, environment: String, inventory id: ResourceID, entry: Inventory.Entry?, applied: AppliedChange) async throws(TargetError)
    func changeFailed(_ apply: Int, position: Int, error: String) async throws(TargetError)
    func finishApply(_ apply: Int, outcome: ApplyRecord.Outcome) async throws(TargetError)

    func history(_ environment: String, limit: Int) async throws(TargetError) -> [ApplyRecord]

    /// The project that claimed `environment` in this store (nil: none yet). A store
    /// shared by several projects (PostgreSQL) keeps each environment's inventory for
    /// one project: two projects with a `dev` each must not read each other's.
    func owner(of environment: String) async throws(TargetError) -> String?
    /// Claims `environment` for `project` unless it is claimed; returns its owner after
    /// (in one statement: of two projects claiming at once, one wins).
    func claim(_ environment: String, for project: String) async throws(TargetError) -> String
    /// The newest apply that succeeded and applied a whole revision (not a selection,
    /// not a destroy), with its changes.
    func lastSuccessfulApply(_ environment: String) async throws(TargetError) -> ApplyRecord?
    /// The applies still marked running (their process died, or runs), newest first, with their changes.
    func runningApplies(_ environment: String) async throws(TargetError) -> [ApplyRecord]

    /// Changes of finished applies whose effect is not known yet (see `Intent`);
    /// with `includeRunning`, also those of applies still marked running (their
    /// process is known to be gone: a plan reads them as the next apply will).
    func unresolvedIntents(_ environment: String, includeRunning: Bool) async throws(TargetError) -> [Intent]
    /// Records what observation found for `intent`, with its effect on the inventory, together.
    func resolve(_ intent: Intent, environment: String, effect: InventoryEffect) async throws(TargetError)

    func hold(_ environment: String) async throws(TargetError) -> Hold?
    func setHold(_ hold: Hold) async throws(TargetError)
    func releaseHold(_ environment: String) async throws(TargetError)
}

extension StateStore {
    public func liveness(of lock: LockInfo, environment: String) async throws(TargetError) -> LockLiveness? { nil }

    /// The applies still running, found in the newest history.
    public func runningApplies(_ environment: String) async throws(TargetError) -> [ApplyRecord] {
        try await history(environment, limit: 20).filter { $0.outcome == .running }
    }

    /// The newest apply that succeeded, found in the history (stores with SQL ask for
    /// it alone: `ApplyRecord.lastSuccessfulCondition`).
    public func lastSuccessfulApply(_ environment: String) async throws(TargetError) -> ApplyRecord? {
        try await history(environment, limit: 1000).first { $0.outcome == .succeeded && $0.kind != .selected && $0.kind != .destroy }
    }
}

extension SourceSpec {
    /// How a store records what an environment followed: `branch:main`,
    /// `revision:<sha>` or `current`.
    public var storedText: String {
        switch self {
        case .current: return "current"
        case .branch(let branch): return "branch:" + branch
        case .revision(let revision): return "revision:" + revision
        }
    }

    public init?(storedText text: String) {
        if text == "current" { self = .current } else if text.hasPrefix("branch:") { self = .branch(String(text.dropFirst(7))) } else if text.hasPrefix("revision:") { self = .revision(String(text.dropFirst(9))) } else { return nil }
    }
}

/// Which of several `watch` replicas of an environment applies: the leader; the
/// others plan, report and serve, and stand by. A store shared between machines
/// (PostgreSQL) elects; a store in one file has one replica, always the leader.
public protocol LeaderElection: AnyObject, Sendable {
    /// Keeps leadership, or takes it if nobody holds it; false: another replica leads.
    func lead() async throws(TargetError) -> Bool
}
