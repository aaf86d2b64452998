import Model
import Server
import Testing

/// The watch cycle's decisions, without a cycle.
@Suite struct WatchDecisionsTests {
    @Test func aNewRevisionIsAppliedOrReportedAndTheAppliedOneIsDrift() {
        #expect(WatchDecisions.sync(revision: "b", lastApplied: "a", pending: 3, autoSync: true) == .apply)
        #expect(WatchDecisions.sync(revision: "b", lastApplied: nil, pending: 0, autoSync: true) == .apply, "recorded even when it changes nothing")
        #expect(WatchDecisions.sync(revision: "b", lastApplied: "a", pending: 3, autoSync: false) == .report(pending: 3))
        #expect(WatchDecisions.sync(revision: "b", lastApplied: "a", pending: 0, autoSync: false) == .nothingPending)
        #expect(WatchDecisions.sync(revision: "a", lastApplied: "a", pending: 2, autoSync: true) == .atApplied, "differences at the applied revision are drift, not sync")
    }

    @Test func onlyALeaderWithAutoSyncAppliesANewRevisionWithoutPlanningItFirst() {
        #expect(WatchDecisions.appliesWithoutPlanning(revision: "b", lastApplied: "a", autoSync: true, leads: true), "planned once, under the lock")
        #expect(WatchDecisions.appliesWithoutPlanning(revision: "b", lastApplied: nil, autoSync: true, leads: true))
        #expect(!WatchDecisions.appliesWithoutPlanning(revision: "b", lastApplied: "a", autoSync: true, leads: false), "a standby reports the plan")
        #expect(!WatchDecisions.appliesWithoutPlanning(revision: "b", lastApplied: "a", autoSync: false, leads: true), "pending changes are reported")
        #expect(!WatchDecisions.appliesWithoutPlanning(revision: "a", lastApplied: "a", autoSync: true, leads: true), "at the applied revision the plan is the drift")
    }

    @Test func theApplysReportIsTheOutcome() {
        let plan = Plan(environment: "dev", revision: "a", target: "t",
                        changes: [Change(id: ResourceID(.catalog, "a"), action: .create, observed: nil, desired: nil), Change(id: ResourceID(.catalog, "b"), action: .create, observed: nil, desired: nil)])
        var report = ApplyReport(plan: plan, outcomes: [.applied, .failed("no space")])
        #expect(WatchDecisions.outcome(of: report, seconds: 2) == .applyFailed(message: "Catalog/b: no space", seconds: 2))
        report.outcomes = [.applied, .applied]
        #expect(WatchDecisions.outcome(of: report, seconds: 1) == .applied(changes: 2, seconds: 1))
        report.stopped = true
        #expect(WatchDecisions.outcome(of: report, seconds: 1) == .stopped)
        #expect(WatchDecisions.outcome(of: nil, seconds: 1) == .synced)
    }

    @Test func driftReusesThePlanOnlyAtTheAppliedRevision() {
        #expect(WatchDecisions.driftCheck(sync: .atApplied, outcome: .synced, stopping: false) == .usePlan)
        #expect(WatchDecisions.driftCheck(sync: .apply, outcome: .applied(changes: 1, seconds: 0), stopping: false) == .justApplied)
        #expect(WatchDecisions.driftCheck(sync: .apply, outcome: .applyFailed(message: "x", seconds: 0), stopping: false) == .observe)
        #expect(WatchDecisions.driftCheck(sync: .report(pending: 1), outcome: .outOfSync(pending: 1), stopping: false) == .observe)
        #expect(WatchDecisions.driftCheck(sync: .apply, outcome: .stopped, stopping: false) == .skip)
        #expect(WatchDecisions.driftCheck(sync: .atApplied, outcome: .synced, stopping: true) == .skip)
        #expect(WatchDecisions.heals(drifted: 2, policy: .heal))
        #expect(!WatchDecisions.heals(drifted: 2, policy: .report))
        #expect(!WatchDecisions.heals(drifted: 0, policy: .heal))
    }

    @Test func statusReasonsFollowTheErrorsKindNotItsWords() {
        #expect(WatchDecisions.stalledReason(.locked, stage: .apply) == "Locked")
        #expect(WatchDecisions.stalledReason(.policyRefused, stage: .apply) == "PolicyRefused")
        #expect(WatchDecisions.stalledReason(.invalid, stage: .read) == "ValidationFailed")
        #expect(WatchDecisions.stalledReason(.target, stage: .plan) == "PlanFailed")
        #expect(WatchDecisions.stalledReason(.target, stage: .apply) == "ApplyFailed")
        #expect(WatchDecisions.stalledReason(.store, stage: .apply) == "ApplyFailed")
        let reasons = Set(ReconcileError.Kind.allCases.map { WatchDecisions.stalledReason($0, stage: .apply) })
        #expect(reasons.count == ReconcileError.Kind.allCases.count - 1, "every kind has its own reason but store and target, which share one")
    }
}
