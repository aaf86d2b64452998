import Engine
import Foundation
import Model
import Rendering
import Workspace

/// The verbs of reconcile, once: the command line and the watch loop are adapters
/// over them. Each verb takes values, returns a typed result or throws a
/// `ReconcileError`; what it says while running goes to `ApplyControl.events`.
public final class Service {
    public let project: any Project
    /// What `--select` lets the verbs touch (everything by default).
    public let selection: Selection
    /// `--override-window REASON`: lets a change through a closed change window, recorded.
    public let windowOverride: String?
    /// What time it is, for change windows (tests set it).
    public let clock: @Sendable () -> Date
    private var runs: [String: EnvironmentRun] = [:]

    public init(_ project: any Project, selection: Selection = .all, windowOverride: String? = nil, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.project = project
        self.selection = selection
        self.windowOverride = windowOverride
        self.clock = clock
    }

    /// The run context of an environment: one per environment per service.
    public func run(_ name: String) throws(ReconcileError) -> EnvironmentRun {
        if let run = runs[name] { return run }
        let run = EnvironmentRun(project: project, environment: try project.environment(name), selection: selection,
                                 windowOverride: windowOverride, clock: clock)
        runs[name] = run
        return run
    }

    // MARK: Verbs

    /// What apply would change (the store is read, never created).
    public func plan(_ name: String, policy: PolicyCheck.Options) async throws(ReconcileError) -> Plan {
        try await run(name).plan(policy: policy)
    }

    /// Under the lock: plans, refuses the whole plan if policy refuses any change,
    /// else applies it in order and records it. Nil report: nothing to apply.
    public func apply(_ name: String, policy: PolicyCheck.Options, command: String = "apply", control: ApplyControl = .init()) async throws(ReconcileError) -> ApplyResult {
        let run = try run(name)
        if project.readsWorktree && !run.environment.policy.allowWorktree {
            throw ReconcileError([.error(at: run.environment.origin,
                "environment \"\(name)\" does not allow applying uncommitted manifests; commit them, or set spec.policy.allowWorktree: true")], kind: .invalid)
        }
        let state = try run.desired()
        return try await withLock(run, command: command) { () async throws(ReconcileError) in
            let plan = try await run.plan(state, policy: policy)
            if control.waitsForWindow, plan.window?.open == false, plan.changesTarget {
                return ApplyResult(plan: plan, report: nil, run: run.report, heldByWindow: true)
            }
            let report = try await run.apply(plan, kind: selection.isAll ? .apply : .selected, control: control, overrides: policy.overridesUsed)
            return ApplyResult(plan: plan, report: report, run: run.report)
        }
    }

    /// The drift against the revision last applied (the store is read, never created).
    public func drift(_ name: String, policy: PolicyCheck.Options) async throws(ReconcileError) -> DriftReport {
        try await run(name).drift(policy: policy)
    }

    /// Under the lock: the drift, and the part of it the policy allows applied back;
    /// what it refuses is returned for advice, never applied.
    public func heal(_ name: String, policy: PolicyCheck.Options, command: String = "drift --heal", control: ApplyControl = .init()) async throws(ReconcileError) -> HealResult {
        let run = try run(name)
        return try await withLock(run, command: command) { () async throws(ReconcileError) in
            let drift = try await run.drift(policy: policy)
            guard drift.hasDrift else { return HealResult(drift: drift, report: nil, refused: [], run: run.report) }
            let (healable, refused) = DriftHeal.split(drift.plan)
            let report = healable.hasChanges ? try await run.apply(healable, kind: .heal, control: control, overrides: policy.overridesUsed) : nil
            return HealResult(drift: drift, report: report, refused: refused, run: run.report)
        }
    }

    // MARK: Refusals and failures as errors

    /// Every change the policy refuses, as one error (like Terraform's
    /// `prevent_destroy`, a refused change fails the plan, not only the apply).
    public static func refusals(of plan: Plan, verb: String) -> ReconcileError? {
        let refused = plan.refusals
        guard !refused.isEmpty else { return nil }
        return ReconcileError(refused.map { change in
            .error(at: change.origin, "\(change.id): \(PlanText.refusal(of: change))")
        } + [.error(at: nil, "\(verb) refused: \(refused.count) change\(refused.count == 1 ? "" : "s") not allowed by policy; nothing was changed")],
        kind: .policyRefused)
    }
}

/// What apply did: the plan it applied and the report (nil: nothing to apply).
public struct ApplyResult: Sendable {
    public var plan: Plan
    public var report: ApplyReport?
    /// What the run cost (requests to remote targets).
    public var run: RunReport
    /// Not applied: the change window is closed and the caller waits for it.
    public var heldByWindow = false

    /// The error the report stands for, if a change failed.
    public var failure: ReconcileError? { report.flatMap(Self.failure(of:)) }

    public static func failure(of report: ApplyReport) -> ReconcileError? {
        guard let index = report.outcomes.firstIndex(where: { if case .failed = $0 { return true }; return false }),
              case .failed(let message) = report.outcomes[index] else { return nil }
        let change = report.plan.changes[index]
        return ReconcileError([.error(at: change.origin, "\(change.id): \(message)"),
                               .error(at: nil, "apply failed: \(report.appliedCount) of \(report.plan.changes.count) changes applied; fix the cause and apply again")],
                              kind: .target)
    }
}

/// What heal did: the drift it found, the report of what it restored (nil: nothing
/// it may restore), and the changes the policy refuses.
public struct HealResult: Sendable {
    public var drift: DriftReport
    public var report: ApplyReport?
    public var refused: [Change]
    public var run: RunReport

    /// How many resources still differ, as far as this heal knows: the refused ones,
    /// and all of the drift when the healing apply failed or stopped.
    public var remaining: Int {
        guard let report else { return refused.count }
        if ApplyResult.failure(of: report) != nil || report.stopped { return drift.plan.changes.count - report.appliedCount }
        return refused.count
    }
}
