import Engine
import Foundation
import Model

/// A rollback's pin: the revision applied before and the one pinned now.
public struct RollbackPin: Sendable, Equatable {
    public var environment: String
    public var from: String
    public var to: String
    /// The pin commit's short id; nil when the environment was pinned there already.
    public var commit: String?
    /// What `spec.source` said before this pin.
    public var replaced: SourceSpec
    /// What release restores: what the environment followed before the first of its
    /// rollbacks; nil when it was pinned then.
    public var followed: SourceSpec?
}

/// What rollback did: the pin, the plan back, and the apply's report when asked to apply.
public struct RollbackResult: Sendable {
    public var pin: RollbackPin
    public var plan: Plan
    public var report: ApplyReport?
    public var run: RunReport
}

/// What release did.
public enum ReleaseResult: Sendable, Equatable {
    case notHeld
    /// The hold lifted; `restored` is the commit (short id) that made the environment
    /// follow again what it followed before the rollback, if one was written.
    case released(Hold, restored: (source: SourceSpec, commit: String)?, pinMoved: Bool)

    public static func == (lhs: ReleaseResult, rhs: ReleaseResult) -> Bool {
        switch (lhs, rhs) {
        case (.notHeld, .notHeld): return true
        case let (.released(a, ra, ma), .released(b, rb, mb)):
            return a == b && ma == mb && ra?.source == rb?.source && ra?.commit == rb?.commit
        default: return false
        }
    }
}

extension Service {
    /// Pins the environment back to an earlier applied revision (`to`, or `steps` back;
    /// chosen by the pure `RollbackSelection`), holds promotions into it, and plans the
    /// way back keeping data (unless `allowDestructive`); applies it when `apply`.
    public func rollback(_ name: String, to: String?, steps: Int?, apply: Bool, policy: PolicyCheck.Options,
                         control: ApplyControl = .init()) async throws(ReconcileError) -> RollbackResult {
        let run = try run(name)
        guard let store = try run.existingStore() else {
            throw ReconcileError("environment \(name) has no recorded applies to roll back to", kind: .invalid)
        }
        let (current, wanted) = try await selectRollback(run, store: store, to: to, steps: steps)
        // An applying rollback asks the window before it pins anything.
        if apply { try await run.passWindow(verb: "rollback", revision: wanted) }
        let pin = try await pinBack(run, store: store, from: current, to: wanted)
        try await run.audit(.rollback, revision: wanted, summary: "rollback of \(name) from \(current.prefix(7)) to \(wanted.prefix(7))\(pin.commit.map { " in commit \($0)" } ?? "")",
                            details: ["from": current, "to": wanted, "commit": pin.commit ?? "", "apply": apply ? "true" : "false"])
        control.events(.pinned(pin))
        let state = try run.desired(at: wanted)
        let plan = { () async throws(ReconcileError) -> Plan in
            let plan = try await run.plan(state, policy: policy)
            return policy.allowDestructive ? plan : Preservation.apply(plan)
        }
        guard apply else { return RollbackResult(pin: pin, plan: try await plan(), report: nil, run: run.report) }
        return try await withLock(run, command: "rollback") { () async throws(ReconcileError) in
            let back = try await plan()
            let report = try await run.apply(back, kind: .rollback, control: control, overrides: policy.overridesUsed)
            return RollbackResult(pin: pin, plan: back, report: report, run: run.report)
        }
    }

    /// The revision applied now and the one to go back to, with the refusal in words.
    func selectRollback(_ run: EnvironmentRun, store: any StateStore, to: String?, steps: Int?) async throws(ReconcileError) -> (current: String, wanted: String) {
        let history: [ApplyRecord]
        do throws(TargetError) { history = try await store.history(run.name, limit: 10_000) } catch { throw ReconcileError(store: error) }
        let resolved = try to.map { (revision) throws(ReconcileError) in try project.commit(revision) }
        switch RollbackSelection.select(history, to: resolved, steps: steps) {
        case .success(let choice):
            return choice
        case .failure(.nothingApplied):
            throw ReconcileError("environment \(run.name) has no successful apply to roll back from", kind: .invalid)
        case .failure(.notApplied(let revision, let current, let earlier)):
            let list = earlier.map { String($0.prefix(7)) }.joined(separator: ", ")
            throw ReconcileError("\(revision.prefix(7)) was never applied successfully to \(run.name) before \(current.prefix(7)); earlier applied revisions: \(list.isEmpty ? "none" : list)", kind: .invalid)
        case .failure(.tooFew(let earlier, let back)):
            throw ReconcileError("environment \(run.name) has applied only \(earlier) earlier revision\(earlier == 1 ? "" : "s"); cannot go back \(back)", kind: .invalid)
        }
    }

    /// Writes the pin commit (unless already pinned there) and the hold, which records
    /// what the environment followed so release can restore it.
    func pinBack(_ run: EnvironmentRun, store: any StateStore, from current: String, to wanted: String) async throws(ReconcileError) -> RollbackPin {
        let environment = run.environment
        var pin = RollbackPin(environment: run.name, from: current, to: wanted, replaced: environment.source)
        if case .revision(let pinned) = environment.source, (try? project.commit(pinned)) == wanted {
            // A rollback shown and not applied, say: no second commit.
        } else {
            pin.commit = try project.setSource(environment, to: .revision(wanted), message: """
                rollback \(run.name) to \(wanted.prefix(7))

                Rollback-Of: \(current)
                Revision: \(wanted)
                Actor: \(project.actor)
                """)
        }
        do throws(TargetError) {
            switch environment.source {
            case .branch, .current: pin.followed = environment.source
            case .revision: pin.followed = try await store.hold(run.name)?.followed  // kept from an earlier rollback
            }
            try await store.setHold(Hold(environment: run.name, reason: "rolled back from \(current.prefix(7)) to \(wanted.prefix(7))",
                                   revision: wanted, actor: project.actor, since: Date(), followed: pin.followed))
        } catch {
            throw ReconcileError(store: error)
        }
        return pin
    }

    /// Lifts the hold a rollback set; when the rollback's pin still stands, restores
    /// what the environment followed before it (a commit).
    public func release(_ name: String) async throws(ReconcileError) -> ReleaseResult {
        let run = try run(name)
        guard let store = try run.existingStore() else { return .notHeld }
        let held: Hold?
        do throws(TargetError) { held = try await store.hold(name) } catch { throw ReconcileError(store: error) }
        guard let hold = held else { return .notHeld }
        var restored: (SourceSpec, String)?
        var pinMoved = false
        if let followed = hold.followed, case .revision(let pinned) = run.environment.source, (try? project.commit(pinned)) == hold.revision {
            let what = Self.followedText(followed)
            let commit = try project.setSource(run.environment, to: followed, message: """
                release \(name): follow \(what) again

                Released-Hold: \(hold.reason)
                Actor: \(project.actor)
                """)
            restored = (followed, commit)
        } else if hold.followed != nil {
            pinMoved = true  // someone moved the pin since the rollback: theirs stands
        }
        do throws(TargetError) { try await store.releaseHold(name) } catch { throw ReconcileError(store: error) }
        let follows = restored.map { " and follows \(Self.followedText($0.0)) again in commit \($0.1)" } ?? ""
        try await run.audit(.release, revision: hold.revision, summary: "release of \(name): the hold \"\(hold.reason)\" (set by \(hold.actor)) is lifted\(follows)",
                            details: ["hold": hold.reason, "heldBy": hold.actor, "commit": restored?.1 ?? ""])
        return .released(hold, restored: restored, pinMoved: pinMoved)
    }

    /// What an environment follows, in words.
    public static func followedText(_ source: SourceSpec) -> String {
        switch source {
        case .branch(let branch): return "the branch \(branch)"
        case .current: return "the revision reconcile runs on"
        case .revision(let revision): return "revision \(revision.prefix(7))"
        }
    }
}
