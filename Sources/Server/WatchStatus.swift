import Foundation
import Model

/// A condition in the style of Kubernetes and Flux: a type, whether it holds, why.
public struct Condition: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case ready = "Ready", reconciling = "Reconciling", stalled = "Stalled"
    }

    public var type: Kind
    public var status: Bool
    public var reason: String
    public var message: String
    public var lastTransitionTime: Date
}

/// What the watch loop knows about its environment, served at /api/v1/status.
public struct WatchStatus: Sendable, Hashable, Codable {
    public enum Sync: String, Sendable, Hashable, Codable { case unknown = "Unknown", synced = "Synced", outOfSync = "OutOfSync" }

    public var environment: String
    public var conditions: [Condition]
    public var sync: Sync
    /// The revision whose apply last succeeded, and the one last tried: kept apart.
    public var lastAppliedRevision: String?
    public var lastAttemptedRevision: String?
    public var lastFetchedRevision: String?
    public var lastAppliedAt: Date?
    public var resources: Int
    public var resourcesByKind: [String: Int]
    public var pendingChanges: Int
    public var driftedResources: Int
    /// Among replicas sharing a state store: `leader` (applies) or `standby`; nil alone.
    public var role: String?
    public var lastRunAt: Date?
    public var nextRunAt: Date?
    public var consecutiveFailures: Int

    public init(environment: String, now: Date) {
        self.environment = environment
        conditions = [
            Condition(type: .ready, status: false, reason: "Starting", message: "no reconcile has finished yet", lastTransitionTime: now),
            Condition(type: .reconciling, status: false, reason: "Idle", message: "", lastTransitionTime: now),
            Condition(type: .stalled, status: false, reason: "None", message: "", lastTransitionTime: now),
        ]
        sync = .unknown
        resources = 0
        resourcesByKind = [:]
        pendingChanges = 0
        driftedResources = 0
        consecutiveFailures = 0
    }

    public func condition(_ kind: Condition.Kind) -> Condition {
        conditions.first { $0.type == kind }!
    }

    /// Sets a condition; its transition time moves only when its status changes.
    mutating func set(_ kind: Condition.Kind, _ status: Bool, reason: String, message: String, now: Date) {
        guard let index = conditions.firstIndex(where: { $0.type == kind }) else { return }
        let changed = conditions[index].status != status
        conditions[index].status = status
        conditions[index].reason = reason
        conditions[index].message = message
        if changed { conditions[index].lastTransitionTime = now }
    }
}

/// What one reconcile cycle found and did.
public struct CycleResult: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        /// The target matches the revision.
        case synced
        /// Changes are pending and auto-sync is off.
        case outOfSync(pending: Int)
        /// Changes were applied.
        case applied(changes: Int, seconds: Double)
        /// The apply failed partway (what was applied is recorded).
        case applyFailed(message: String, seconds: Double)
        /// The cycle could not get as far as an apply: fetch, validation, lock, policy.
        case stalled(reason: String, message: String)
        /// Asked to stop during the apply.
        case stopped
    }

    public var outcome: Outcome
    public var revision: String?
    public var resourcesByKind: [String: Int]
    /// Resources drifted from the last applied revision (after healing, if it healed).
    public var drifted: Int
    /// Resources drift healing restored.
    public var healed: Int
    public var lastApplied: (revision: String, at: Date)?
    /// Whether this replica leads (nil: no election, one replica).
    public var leads: Bool?

    public init(outcome: Outcome, revision: String? = nil, resourcesByKind: [String: Int] = [:], drifted: Int = 0, healed: Int = 0,
                lastApplied: (revision: String, at: Date)? = nil) {
        self.outcome = outcome
        self.revision = revision
        self.resourcesByKind = resourcesByKind
        self.drifted = drifted
        self.healed = healed
        self.lastApplied = lastApplied
    }

    public static func == (a: CycleResult, b: CycleResult) -> Bool {
        a.outcome == b.outcome && a.revision == b.revision && a.resourcesByKind == b.resourcesByKind && a.drifted == b.drifted
            && a.healed == b.healed && a.lastApplied?.revision == b.lastApplied?.revision && a.lastApplied?.at == b.lastApplied?.at && a.leads == b.leads
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(revision)
        hasher.combine(drifted)
    }

    /// The `result` label of reconcile_runs_total.
    public var resultLabel: String {
        switch outcome {
        case .synced: return "synced"
        case .outOfSync: return "out_of_sync"
        case .applied: return "applied"
        case .applyFailed: return "apply_failed"
        case .stalled: return "stalled"
        case .stopped: return "stopped"
        }
    }
}

/// A message for the environment's notification webhooks.
public struct Notification: Sendable, Hashable {
    public enum Event: String, Sendable, Hashable { case driftFound = "drift_found", applyFailed = "apply_failed", applySucceeded = "apply_succeeded" }
    public var event: Event
    public var environment: String
    public var revision: String?
    public var text: String
}
