import Engine
import Foundation
import Loading
import Model

/// What promote did.
public enum PromoteResult: Sendable, Equatable {
    /// TO was pinned there already: nothing was written.
    case alreadyPinned(revision: String)
    /// TO is pinned to `revision` by `commit` (its short id).
    case promoted(revision: String, commit: String)
}

extension Service {
    /// Pins TO to the revision FROM last applied, after the gates TO asks for (facts
    /// gathered here, decided by the pure `PromotionGates`), and after TO renders,
    /// validates and plans at that revision: its plan goes to `events` before the pin
    /// is written.
    public func promote(from: String, to: String, events: (ServiceEvent) -> Void = { _ in }) async throws(ReconcileError) -> PromoteResult {
        let source = try run(from)
        let destination = try run(to)
        let facts = try await gateFacts(source, destination)
        let revision: String
        switch PromotionGates.evaluate(from: from, to: destination.environment, facts: facts) {
        case .success(let passed): revision = passed
        case .failure(let refusal): throw Self.failure(refusal, from: from, to: destination.environment)
        }
        if destination.environment.source == .revision(revision) { return .alreadyPinned(revision: revision) }
        // Gate: TO renders and validates at the candidate revision (its variables,
        // overlays and references), and its plan is shown, before any pin is written.
        var candidate = destination.environment
        candidate.source = .revision(revision)
        let plan: Plan
        do throws(ReconcileError) {
            let state = try project.desired(candidate, at: revision)
            plan = try await destination.plan(state, policy: .init())
        } catch {
            throw ReconcileError(error.diagnostics + [.error(at: destination.environment.origin,
                "gate renders: \(to) cannot take \(revision.prefix(7)) as it stands (above); nothing was pinned. Fix environments/\(to).yaml or the manifests, then promote again")],
                kind: error.kind)
        }
        events(.planned(plan, destination.report))
        if !plan.refusals.isEmpty {
            project.warning("\(plan.refusals.count) change\(plan.refusals.count == 1 ? "" : "s") in \(to)'s plan are refused by its policy; applying \(to) will need --allow-destructive or a manifest change")
        }
        _ = try await destination.verifySigned(revision, verb: "promote")
        try await destination.passWindow(verb: "promote", revision: revision)
        let commit = try project.setSource(destination.environment, to: .revision(revision), message: """
            promote \(from) → \(to): \(revision.prefix(7))

            Promote-From: \(from)
            Promote-To: \(to)
            Revision: \(revision)
            Actor: \(project.actor)
            """)
        try await destination.audit(.promotion, revision: revision, summary: "promotion \(from) → \(to): \(to) pinned to \(revision.prefix(7)) in commit \(commit)",
                                    details: ["from": from, "commit": commit, "plannedChanges": String(plan.changes.count)])
        return .promoted(revision: revision, commit: commit)
    }

    /// The facts the gates decide on, observing FROM only for the gates TO asks for.
    func gateFacts(_ source: EnvironmentRun, _ destination: EnvironmentRun) async throws(ReconcileError) -> PromotionGates.Facts {
        let needs = PromotionGates.needs(destination.environment)
        var facts = PromotionGates.Facts(hold: nil, lastApply: nil, pending: nil, drifted: nil, now: Date())
        guard destination.environment.promotion?.from == source.name else { return facts }
        let destinationStore = try destination.store()
        do throws(TargetError) { facts.hold = try await destinationStore.hold(destination.name) } catch { throw ReconcileError(store: error) }
        guard facts.hold == nil, try source.existingStore() != nil else { return facts }
        facts.lastApply = try await source.lastApplied()
        let unguarded = PolicyCheck.Options(allowDestructive: true, allowEmpty: true)
        if facts.lastApply != nil && needs.contains(.applied) {
            let pending = try await source.plan(policy: unguarded)
            facts.pending = pending.changes.map(\.id)
            facts.sourceRevision = pending.shortRevision
        }
        if facts.lastApply != nil && facts.pending?.isEmpty != false && needs.contains(.noDrift) {
            facts.drifted = try await source.drift(policy: unguarded).plan.changes.map(\.id)
        }
        return facts
    }

    /// A closed gate in words, with what to do.
    static func failure(_ refusal: PromotionGates.Refusal, from: String, to destination: Environment) -> ReconcileError {
        let to = destination.name
        switch refusal {
        case .noPromotion:
            return ReconcileError([.error(at: destination.origin, "environment \(to) has no spec.promotion; add spec.promotion: { from: \(from) } to promote into it")], kind: .invalid)
        case .promotesFrom(let expected):
            return ReconcileError([.error(at: destination.origin, "environment \(to) promotes from \(expected), not \(from); run reconcile promote \(expected) \(to)")], kind: .invalid)
        case .held(let hold):
            return ReconcileError("promotion into \(to) is held since \(LockInfo.format(hold.since)): \(hold.reason) (by \(hold.actor)); fix the cause, then run reconcile release --env \(to)", kind: .policyRefused)
        case .neverApplied:
            return ReconcileError("gate applied: \(from) has no successful apply to promote; run reconcile apply --env \(from) first", kind: .policyRefused)
        case .pending(let count, let sourceRevision):
            return ReconcileError("gate applied: \(from) has \(count) pending change\(count == 1 ? "" : "s") at its source revision \(sourceRevision), so what it applied is not what its source says; run reconcile apply --env \(from) first", kind: .policyRefused)
        case .drifted(let revision, let resources):
            return ReconcileError("gate no-drift: \(from) has drifted from \(revision.prefix(7)) (\(resources.map(\.description).joined(separator: ", "))); run reconcile drift --env \(from), heal or fix it, then promote", kind: .policyRefused)
        case .soaking(let revision, let soaked, let required, let readyAt):
            return ReconcileError("gate soak: \(from) applied \(revision.prefix(7)) \(Int(soaked))s ago and \(to) asks for \(Int(required))s of soak; promote after \(LockInfo.format(readyAt))", kind: .policyRefused)
        }
    }
}
