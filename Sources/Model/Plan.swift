/// What a change does to one resource.
public enum Action: String, Sendable, Hashable, Codable, CaseIterable {
    case create, update, replace, delete
}

/// One field that differs, addressed by a JSON pointer into the resource's
/// canonical value (`/columns/email`, `/properties/delta.appendOnly`).
public struct FieldChange: Sendable, Hashable {
    public enum Op: String, Sendable, Hashable, Codable {
        case add, remove, change
    }

    public var op: Op
    public var path: String
    public var before: Value?
    public var after: Value?
    /// Why this field change can lose data or access; nil when it cannot.
    public var destructiveReason: DestructiveReason?
    /// The target cannot make this change in place: the resource is replaced.
    public var forcesReplace: Bool

    public init(op: Op, path: String, before: Value?, after: Value?, destructiveReason: DestructiveReason? = nil, forcesReplace: Bool = false) {
        self.op = op
        self.path = path
        self.before = before
        self.after = after
        self.destructiveReason = destructiveReason
        self.forcesReplace = forcesReplace
    }

    /// Whether `pointer` names this field or one of its parents.
    public func isUnder(_ pointer: String) -> Bool {
        path == pointer || path.hasPrefix(pointer.hasSuffix("/") ? pointer : pointer + "/")
    }

    /// The pointer's segments, unescaped (`~1` is `/`, `~0` is `~`).
    public var segments: [String] {
        path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            String($0).replacing("~1", with: "/").replacing("~0", with: "~")
        }
    }

    public static func pointer(_ segments: [String]) -> String {
        segments.map { "/" + $0.replacing("~", with: "~0").replacing("/", with: "~1") }.joined()
    }
}

/// One planned change to one resource.
public struct Change: Sendable, Hashable {
    public var id: ResourceID
    public var action: Action
    /// What the target has now (nil for create).
    public var observed: Resource?
    /// What the manifests ask for (nil for delete).
    public var desired: Resource?
    public var fields: [FieldChange]
    /// Why the change is planned, in words, for display.
    public var reasons: [String]
    /// Why the change can lose data or access; empty when it cannot.
    public var destructiveReasons: [DestructiveReason]
    /// Set by policy: why this change may not be applied.
    public var refusal: Refusal?
    /// What the change requires of the table's existing rows (NOT NULL, CHECK), with
    /// the evidence once the target was asked; unchecked, the change is refused.
    public var dataChecks: [CheckedData] = []
    /// The resource exists but this environment did not create it: applying records it
    /// in the inventory (and makes the fields' differences, never a replace), so from
    /// then on it is pruned like what the environment created.
    public var adopts = false

    public init(
        id: ResourceID, action: Action, observed: Resource?, desired: Resource?,
        fields: [FieldChange] = [], reasons: [String] = [], destructiveReasons: [DestructiveReason] = [], refusal: Refusal? = nil
    ) {
        self.id = id
        self.action = action
        self.observed = observed
        self.desired = desired
        self.fields = fields
        self.reasons = reasons
        self.destructiveReasons = destructiveReasons
        self.refusal = refusal
    }

    public var isDestructive: Bool { !destructiveReasons.isEmpty }
    /// Where the change was declared, if it was.
    public var origin: SourceLocation? { desired?.origin ?? observed?.origin }

    /// Pointers under this prefix are bookkeeping (annotations): recorded, never sent to a target.
    public static let metadataPrefix = "/metadata/"

    /// True when only bookkeeping changes, so the target has nothing to do.
    public var isMetadataOnly: Bool {
        action == .update && (adopts || !fields.isEmpty) && fields.allSatisfy { $0.path.hasPrefix(Change.metadataPrefix) }
    }
}

/// An ordered list of changes for one environment at one revision.
public struct Plan: Sendable, Hashable {
    public var environment: String
    public var revision: String
    public var target: String
    /// Changes in the order they must be applied.
    public var changes: [Change]
    /// Resources whose manifests match what exists.
    public var unchanged: [ResourceID]
    /// Resources found in the target that no manifest declares and this
    /// environment did not create: reported, never touched.
    public var unmanaged: [ResourceID]
    /// Resources this environment created whose manifests are gone, kept because
    /// the policy does not prune.
    public var orphaned: [ResourceID]
    /// Facts worth saying that change nothing (grants made outside reconcile).
    public var notices: [Notice]
    /// Changes `--select` left out (not planned in this run), and the patterns.
    public var leftOut: [ResourceID] = []
    public var selection: [String] = []
    /// The environment's change windows now, when it has any.
    public var window: WindowState?
    public init(environment: String, revision: String, target: String, changes: [Change], unchanged: [ResourceID] = [], unmanaged: [ResourceID] = [], orphaned: [ResourceID] = [], notices: [Notice] = []) {
        self.environment = environment
        self.revision = revision
        self.target = target
        self.changes = changes
        self.unchanged = unchanged
        self.unmanaged = unmanaged
        self.orphaned = orphaned
        self.notices = notices
    }

    public var hasChanges: Bool { !changes.isEmpty }

    /// A commit id shortened as git does; other revisions (`worktree`) whole.
    public var shortRevision: String {
        revision.count == 40 && revision.allSatisfy(\.isHexDigit) ? String(revision.prefix(7)) : revision
    }
    public var refusals: [Change] { changes.filter { $0.refusal != nil } }

    /// Changes of `action`, adoptions aside (they are counted by `adoptions`).
    public func count(_ action: Action) -> Int { changes.filter { $0.action == action && !$0.adopts }.count }
    public var adoptions: Int { changes.filter(\.adopts).count }
    /// Whether applying changes anything in the targets: adopting what already matches
    /// only records it, so a plan of such adoptions alone exits 0.
    public var changesTarget: Bool { changes.contains { !($0.adopts && $0.fields.isEmpty) } }
}

/// The outcome of applying a plan, change by change.
public struct ApplyReport: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        case applied
        case failed(String)
        case notAttempted
    }

    public var results: [(id: ResourceID, action: Action, outcome: Outcome)] {
        zip(plan.changes, outcomes).map { ($0.id, $0.action, $1) }
    }

    public var plan: Plan
    public var outcomes: [Outcome]
    /// Asked to stop between changes; what was not attempted is left for the next run.
    public var stopped = false
    /// Requests made to remote targets in the whole run (plan and apply), by target.

    public init(plan: Plan, outcomes: [Outcome]) {
        self.plan = plan
        self.outcomes = outcomes
    }

    public var succeeded: Bool { outcomes.allSatisfy { $0 == .applied } }
    public var appliedCount: Int { outcomes.filter { $0 == .applied }.count }

    public static func == (lhs: ApplyReport, rhs: ApplyReport) -> Bool {
        lhs.plan == rhs.plan && lhs.outcomes == rhs.outcomes && lhs.stopped == rhs.stopped
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(plan)
        hasher.combine(outcomes)
    }
}

/// What a run cost beside its plan: requests made to remote targets, by target.
/// Not part of a plan, so a plan's identity never depends on it.
public struct RunReport: Sendable, Hashable {
    public var requests: [String: Int]

    public init(requests: [String: Int] = [:]) {
        self.requests = requests
    }
}
