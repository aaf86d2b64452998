import Engine
import Foundation
import Loading
import Model
import Workspace

/// One environment for one run: its file, one target and one state store for the
/// whole run (so every request is counted once, and drift observes through the same
/// target that planned), and its desired states by revision.
public final class EnvironmentRun {
    public let project: any Project
    public let environment: Environment
    public let target: any Target
    private var opened: (any StateStore)?
    private var states: [String: DesiredState] = [:]
    /// Whether this run holds the environment's apply lock now: only then does
    /// observation write what it settles of an interrupted apply.
    var holdsLock = false
    /// This run proved the store's environment is this project's (and claimed it).
    private var ownerVerified = false, ownerClaimed = false

    /// What this run may touch (`--select`); everything by default.
    public let selection: Selection
    /// The reason given to go through a closed change window, if any.
    let windowOverride: String?
    let clock: @Sendable () -> Date
    /// The window was gone through once in this run (by override): not asked or audited again.
    var passedWindow = false

    init(project: any Project, environment: Environment, selection: Selection = .all, windowOverride: String? = nil, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.selection = selection
        self.windowOverride = windowOverride
        self.clock = clock
        self.project = project
        self.environment = environment
        target = project.target(for: environment)
    }

    public var name: String { environment.name }

    /// Requests this run made to remote targets so far, by target.
    public var requests: [String: Int] { target.requestCounts }

    /// What the run cost so far, for renderers.
    public var report: RunReport { RunReport(requests: requests) }

    /// The desired state at `revision` (nil: the environment's source revision), rendered once per run.
    public func desired(at revision: String? = nil) throws(ReconcileError) -> DesiredState {
        let key = revision ?? ""
        if let state = states[key] { return state }
        let state = try project.desired(environment, at: revision)
        states[key] = state
        return state
    }

    /// The state store, created if it does not exist (commands that write).
    public func store() throws(ReconcileError) -> any StateStore {
        if let opened { return opened }
        guard let store = try project.store(for: environment, create: true) else {
            throw ReconcileError("internal error: the state store of \(name) was not created", kind: .bug)
        }
        opened = store
        return store
    }

    /// The state store if it exists: reading commands never create one.
    public func existingStore() throws(ReconcileError) -> (any StateStore)? {
        if let opened { return opened }
        opened = try project.store(for: environment, create: false)
        return opened
    }

    /// Proves that `store` keeps this environment for this project, where projects
    /// share a store (PostgreSQL): two projects that both name an environment `dev`
    /// would otherwise read each other's inventory, and a prune could delete the other
    /// project's resources. `claim` (before any write) records this project as its
    /// owner when none is; reading only checks. Once per run.
    func verifyOwner(_ store: any StateStore, claim: Bool) async throws(ReconcileError) {
        guard environment.statePostgres != nil, !ownerVerified || (claim && !ownerClaimed) else { return }
        let identity = try project.identity()
        let owner: String?
        do throws(TargetError) {
            owner = claim ? try await store.claim(name, for: identity) : try await store.owner(of: name)
        } catch {
            throw ReconcileError(store: error)
        }
        if let owner, owner != identity {
            throw ReconcileError([.error(at: environment.origin,
                "environment \(name) in the state store \(store.location) belongs to another project (\(owner)); this project is \(identity). Projects sharing a database must give their environments distinct names, or use separate databases: their inventories would mix, and a prune could delete the other project's resources")],
                kind: .store)
        }
        ownerVerified = true
        ownerClaimed = ownerClaimed || claim
    }

    /// The last successful apply, if any.
    public func lastApplied() async throws(ReconcileError) -> ApplyRecord? {
        guard let store = try existingStore() else { return nil }
        try await verifyOwner(store, claim: false)
        do throws(TargetError) { return try await store.lastSuccessfulApply(name) } catch { throw ReconcileError(store: error) }
    }

    // MARK: Observe and plan

    /// Observes the target and reads the inventory, settling what an interrupted or
    /// failed apply left uncertain, and checks that everything the manifests depend on
    /// is declared or exists and stays.
    public func observe(_ state: DesiredState, everything: Bool = false) async throws(ReconcileError) -> (observed: [Resource], inventory: Inventory) {
        let store = try existingStore()
        if let store { try await verifyOwner(store, claim: false) }
        var owned: Inventory
        var intents: [Intent]
        do throws(TargetError) {
            owned = try await store?.inventory(name) ?? Inventory(environment: name)
            // Under the lock, interrupted applies were closed already; without it, those
            // of a holder provably gone (or of no holder at all) count as the next apply will see them.
            var holderGone = true
            if holdsLock {
                holderGone = false
            } else if let store, let holder = try await store.currentLock(name) {
                holderGone = await ProcessIdentity.liveness(holder, environment: name, store: store) == .dead
            }
            intents = try await store?.unresolvedIntents(name, includeRunning: holderGone) ?? []
        } catch {
            throw ReconcileError(store: error)
        }
        let observed: [Resource]
        do throws(TargetError) {
            let scope = Set(state.resources.map(\.id)).union(owned.resources).union(intents.map(\.resource))
                .union(ResourceID.tagMarkers(for: state.resources))
            observed = try await target.observe(scope: everything ? scope.union([.everyCatalog]) : scope)
        } catch {
            throw ReconcileError(target: error, context: " (environment \(name), \(target.summary))")
        }
        if let store, !intents.isEmpty {
            let resolutions = Recovery.resolve(intents, observed: Set(observed.map(\.id)), desired: state.resources, inventory: owned)
            owned = Recovery.applying(resolutions, to: owned)
            if holdsLock {
                target.discardLeftovers(of: intents.map(\.resource))
                do throws(TargetError) {
                    for (intent, effect) in resolutions { try await store.resolve(intent, environment: name, effect: effect) }
                } catch {
                    throw ReconcileError(store: error)
                }
            }
        }
        let problems = ReferenceCheck.diagnostics(desired: state.resources, observed: observed.map(\.id),
                                                  inventory: environment.policy.prune ? owned : Inventory(environment: ""))
        if !problems.isEmpty { throw ReconcileError(problems, kind: .invalid) }
        return (observed, owned)
    }

    /// Plans `state` (the source revision's when nil) and applies the environment's policy.
    public func plan(_ state: DesiredState? = nil, policy: PolicyCheck.Options) async throws(ReconcileError) -> Plan {
        let state: DesiredState = if let state { state } else { try desired() }
        let (observed, inventory) = try await observe(state)
        var plan = Planner.plan(.init(
            environment: name, revision: state.revision, target: target.summary,
            desired: state.resources, observed: observed, inventory: inventory, prune: environment.policy.prune, inPlace: target.inPlace))
        // --select: only the selected resources (and their closures) are planned; prune stays inside them.
        if !selection.isAll { plan = selection.restrict(plan, to: selection.ids(in: state.resources + observed)) }
        await checkData(&plan)
        plan.window = ChangeWindows.status(environment.windows, at: clock())?.state
        return PolicyCheck.evaluate(plan, policy: environment.policy, desired: state.resources, inventory: inventory, options: policy)
    }

    /// Asks the target what each table's rows say about the NOT NULL and CHECK changes
    /// planned on it. A table whose rows cannot be read gets that reason as its evidence
    /// (and is refused unless --allow-unverified), never a pass.
    func checkData(_ plan: inout Plan) async {
        for index in plan.changes.indices where !plan.changes[index].dataChecks.isEmpty {
            guard let table = plan.changes[index].observed else { continue }
            let checks = plan.changes[index].dataChecks.map(\.check)
            var evidence: [DataEvidence]
            do throws(TargetError) {
                evidence = try await target.verify(checks, of: table)
            } catch {
                evidence = checks.map { _ in DataEvidence(.unverifiable("the rows could not be read: \(error.message)")) }
            }
            for (slot, found) in zip(plan.changes[index].dataChecks.indices, evidence) { plan.changes[index].dataChecks[slot].evidence = found }
        }
    }

    /// The drift: the target against the desired state of the revision last applied
    /// successfully (the source revision if none).
    public func drift(policy: PolicyCheck.Options) async throws(ReconcileError) -> DriftReport {
        let last = try await lastApplied()
        let state = try desired(at: last?.revision)
        var plan = try await plan(state, policy: policy)
        // A resource that matches its manifest but is not adopted yet is not drift:
        // recording it is the next apply's bookkeeping.
        let matching = plan.changes.filter { $0.adopts && $0.fields.isEmpty }.map(\.id)
        plan.changes.removeAll { $0.adopts && $0.fields.isEmpty }
        plan.unchanged = (plan.unchanged + matching).sorted()
        return DriftReport(environment: name, revision: state.revision, appliedAt: last?.finishedAt, plan: plan)
    }

    // MARK: Apply

    /// Refuses the plan whole if policy refuses any change, else applies it and
    /// records it in history (a plan with no changes is recorded when its revision is
    /// new). Returns the report, or nil when there was nothing to apply.
    func apply(_ plan: Plan, kind: ApplyRecord.Kind, control: ApplyControl, overrides: [String] = []) async throws(ReconcileError) -> ApplyReport? {
        control.events(.planned(plan, report))
        if let refused = Service.refusals(of: plan, verb: "apply") {
            try await auditRefusal(plan)
            throw refused
        }
        let verb = kind == .heal ? "heal" : kind == .rollback ? "rollback" : kind == .destroy ? "destroy" : "apply"
        // What is applied must be signed where the environment says so (a destroy applies no revision).
        let signer = kind == .destroy ? nil : try await verifySigned(plan.revision, verb: verb)
        if plan.changesTarget { try await passWindow(verb: verb, revision: plan.revision) }
        if environment.policy.confirm, plan.changesTarget {
            switch control.confirm(plan) {
            case .yes: break
            case .no:
                throw ReconcileError("apply cancelled at the prompt; nothing was changed", kind: .invalid)
            case .noTerminal:
                throw ReconcileError([.error(at: environment.origin, "environment \"\(name)\" asks for confirmation (spec.policy.confirm: true) and standard input is not a terminal; pass --yes to apply without asking")], kind: .invalid)
            }
        }
        let store = try store()
        let context = Applier.Context(store: store, actor: project.actor, kind: kind, digest: plan.digest, shouldStop: control.shouldStop) { index, outcome in
            control.events(.changed(index: index, of: plan, outcome))
        }
        let report: ApplyReport?
        do throws(TargetError) {
            if plan.hasChanges {
                report = try await Applier.apply(plan, to: target, context: context)
            } else if try await store.lastSuccessfulApply(name)?.revision != plan.revision {
                // A new revision that changes nothing is still what the environment now runs:
                // history records it, so drift, promotion and rollback start from it.
                _ = try await Applier.apply(plan, to: target, context: context)
                report = nil
            } else {
                return nil
            }
        } catch {
            throw ReconcileError(target: error, context: "; nothing more was applied")
        }
        try await auditApply(plan, kind: kind, report: report, overrides: overrides, signer: signer)
        return report
    }
}
