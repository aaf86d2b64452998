import Model
import Service

/// The watch cycle's decisions, pure: what a revision calls for, what an apply's
/// report means, whether drift is observed and healed, and what a failure means for
/// status. `CycleRunner` gathers the facts and does what these say.
public enum WatchDecisions {
    /// What a rendered revision calls for.
    public enum Sync: Sendable, Equatable {
        /// The revision last applied: nothing to sync; differences are drift.
        case atApplied
        /// A new revision with changes while auto-sync is off: report them as pending.
        case report(pending: Int)
        /// A new revision while auto-sync is on: apply it (or record it, if it changes nothing).
        case apply
        /// A new revision that changes nothing, with auto-sync off.
        case nothingPending
    }

    /// Sync follows git: a revision not yet applied is applied (auto-sync) or
    /// reported; at the applied revision, differences are drift (like Argo CD's self-heal).
    public static func sync(revision: String, lastApplied: String?, pending: Int, autoSync: Bool) -> Sync {
        guard lastApplied != revision else { return .atApplied }
        if autoSync { return .apply }
        return pending > 0 ? .report(pending: pending) : .nothingPending
    }

    /// Whether the cycle applies the revision without planning it first: a revision
    /// not yet applied, auto-sync on, and this replica leads. The apply plans it under
    /// the lock (a plan made before the lock would be made again there).
    public static func appliesWithoutPlanning(revision: String, lastApplied: String?, autoSync: Bool, leads: Bool) -> Bool {
        leads && sync(revision: revision, lastApplied: lastApplied, pending: 0, autoSync: autoSync) == .apply
    }

    /// The cycle's outcome after an apply (nil report: nothing needed applying).
    public static func outcome(of report: ApplyReport?, seconds: Double) -> CycleResult.Outcome {
        guard let report else { return .synced }
        if report.stopped { return .stopped }
        if let failure = ApplyResult.failure(of: report) {
            return .applyFailed(message: failure.diagnostics.first?.message ?? "apply failed", seconds: seconds)
        }
        return .applied(changes: report.appliedCount, seconds: seconds)
    }

    /// How drift is found after syncing.
    public enum DriftCheck: Sendable, Equatable {
        /// Stopping: no more work this cycle.
        case skip
        /// At the applied revision with nothing applied: the plan just made is the drift.
        case usePlan
        /// Observe again, against the revision now last applied.
        case observe
        /// Every planned change was just applied: the target is what the plan made it,
        /// so nothing is observed again; the next cycle observes (drift made during the
        /// apply shows there, one interval later).
        case justApplied
    }

    public static func driftCheck(sync: Sync, outcome: CycleResult.Outcome, stopping: Bool) -> DriftCheck {
        if stopping || outcome == .stopped { return .skip }
        if case .applied = outcome { return .justApplied }
        return sync == .atApplied && outcome == .synced ? .usePlan : .observe
    }

    /// Whether found drift is healed (the policy says heal) or only reported.
    public static func heals(drifted: Int, policy: Policy.Drift) -> Bool {
        drifted > 0 && policy == .heal
    }

    /// Where in the cycle a failure happened.
    public enum Stage: Sendable {
        /// Reading the revision: the environment file and its manifests.
        case read
        /// Observing and planning.
        case plan
        /// Applying or healing, under the lock.
        case apply
    }

    /// The `Stalled` condition's reason for a failure: by its kind, never its words.
    public static func stalledReason(_ kind: ReconcileError.Kind, stage: Stage) -> String {
        switch kind {
        case .invalid: return "ValidationFailed"
        case .locked: return "Locked"
        case .policyRefused: return "PolicyRefused"
        case .source: return "ReadFailed"
        case .bug: return "InternalError"
        case .target, .store:
            switch stage {
            case .read, .plan: return "PlanFailed"
            case .apply: return "ApplyFailed"
            }
        }
    }
}
