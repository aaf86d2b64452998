import Foundation
import Model

/// The gates of `promote FROM TO`, decided on facts gathered at the edges. Pure:
/// facts in, the revision to pin or the first gate that holds it back out.
public enum PromotionGates {
    /// What the gates look at. `pending` and `drifted` are nil when the gate that needs
    /// them is not asked for (so the edge need not observe the target).
    public struct Facts: Sendable {
        public var hold: Hold?
        public var lastApply: ApplyRecord?
        /// Changes FROM's plan at its source revision still holds.
        public var pending: [ResourceID]?
        /// The revision FROM's source says (for the message).
        public var sourceRevision: String
        /// What drifted in FROM since its last apply.
        public var drifted: [ResourceID]?
        public var now: Date

        public init(hold: Hold?, lastApply: ApplyRecord?, pending: [ResourceID]?, sourceRevision: String = "", drifted: [ResourceID]?, now: Date) {
            self.hold = hold
            self.lastApply = lastApply
            self.pending = pending
            self.sourceRevision = sourceRevision
            self.drifted = drifted
            self.now = now
        }
    }

    /// Why a promotion does not go ahead.
    public enum Refusal: Error, Sendable, Equatable {
        case noPromotion
        case promotesFrom(String)
        case held(Hold)
        case neverApplied
        case pending(count: Int, sourceRevision: String)
        case drifted(revision: String, resources: [ResourceID])
        case soaking(revision: String, soaked: TimeInterval, required: TimeInterval, readyAt: Date)
    }

    /// Whether TO asks for the pending and drift gates, so the edge knows what to observe.
    public static func needs(_ to: Environment) -> Set<Promotion.Gate> { to.promotion?.requires ?? [] }

    /// The revision to pin TO to, or the first gate that refuses, in the order a person
    /// fixes them: configuration, hold, applied, pending, drift, soak.
    public static func evaluate(from: String, to: Environment, facts: Facts) -> Result<String, Refusal> {
        guard let promotion = to.promotion else { return .failure(.noPromotion) }
        guard promotion.from == from else { return .failure(.promotesFrom(promotion.from)) }
        if let hold = facts.hold { return .failure(.held(hold)) }
        guard let last = facts.lastApply else { return .failure(.neverApplied) }
        if promotion.requires.contains(.applied), let pending = facts.pending, !pending.isEmpty {
            return .failure(.pending(count: pending.count, sourceRevision: facts.sourceRevision))
        }
        if promotion.requires.contains(.noDrift), let drifted = facts.drifted, !drifted.isEmpty {
            return .failure(.drifted(revision: last.revision, resources: drifted))
        }
        let appliedAt = last.finishedAt ?? last.startedAt
        let soaked = facts.now.timeIntervalSince(appliedAt)
        if soaked < promotion.soak {
            return .failure(.soaking(revision: last.revision, soaked: soaked, required: promotion.soak, readyAt: appliedAt.addingTimeInterval(promotion.soak)))
        }
        return .success(last.revision)
    }
}

/// Which revision `rollback` goes back to. Pure: history in, the choice out.
public enum RollbackSelection {
    public enum Refusal: Error, Sendable, Equatable {
        /// No successful apply at all.
        case nothingApplied
        /// `--to` names a revision not applied successfully before the current one.
        case notApplied(revision: String, current: String, earlier: [String])
        /// `--steps` reaches past the oldest applied revision.
        case tooFew(earlier: Int, steps: Int)
    }

    /// Distinct successfully applied revisions, newest first.
    public static func appliedRevisions(_ history: [ApplyRecord]) -> [String] {
        var revisions: [String] = []
        for record in history where record.outcome == .succeeded && !revisions.contains(record.revision) {
            revisions.append(record.revision)
        }
        return revisions
    }

    /// The current revision and the one to go back to: `to` (a full commit id) when
    /// given, else `steps` (default 1) applied revisions back.
    public static func select(_ history: [ApplyRecord], to: String?, steps: Int?) -> Result<(current: String, wanted: String), Refusal> {
        let revisions = appliedRevisions(history)
        guard let current = revisions.first else { return .failure(.nothingApplied) }
        if let to {
            guard revisions.dropFirst().contains(to) else {
                return .failure(.notApplied(revision: to, current: current, earlier: Array(revisions.dropFirst().prefix(10))))
            }
            return .success((current, to))
        }
        let back = steps ?? 1
        guard back < revisions.count else { return .failure(.tooFew(earlier: revisions.count - 1, steps: back)) }
        return .success((current, revisions[back]))
    }
}
