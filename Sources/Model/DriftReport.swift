import Foundation

/// How an environment's target departs from the desired state of the revision it
/// last applied. Built from a plan: what apply would do to undo the drift.
public struct DriftReport: Sendable, Hashable {
    public var environment: String
    /// The revision compared against.
    public var revision: String
    /// When that revision was applied; nil when nothing was applied yet and the
    /// environment's current revision was used instead.
    public var appliedAt: Date?
    public var plan: Plan

    public init(environment: String, revision: String, appliedAt: Date?, plan: Plan) {
        self.environment = environment
        self.revision = revision
        self.appliedAt = appliedAt
        self.plan = plan
    }

    public var hasDrift: Bool { plan.hasChanges }
    /// Declared, but gone from the target.
    public var missing: [Change] { plan.changes.filter { $0.action == .create } }
    /// Present, but different from the declaration.
    public var changed: [Change] { plan.changes.filter { $0.action == .update || $0.action == .replace } }
    /// Created by this environment, no longer declared, still present.
    public var extra: [Change] { plan.changes.filter { $0.action == .delete } }
}
