import Workspace
import ArgumentParser
import Engine
import Foundation
import Model
import Rendering

struct PromoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Pin environment TO to the revision FROM last applied, after checking the gates.",
        discussion: """
        Gates, as TO's spec.promotion asks: FROM applied what its source says (nothing
        pending), FROM has not drifted, and FROM's apply has soaked long enough; TO is
        not held after a rollback; TO renders and validates at the revision (its plan
        is shown). Then a commit on the current branch pins TO
        (environments/TO.yaml: spec.source.revision), naming from, to, revision and
        actor. Apply TO afterwards.
        """
    )

    @Argument(help: "The environment whose applied revision moves on.")
    var from: String

    @Argument(help: "The environment to pin to it.")
    var to: String

    @OptionGroup var options: CommonOptions

    func validate() throws {
        guard options.env == nil else { throw ValidationError("promote names its environments as arguments: reconcile promote FROM TO") }
        guard from != to else { throw ValidationError("promote needs two different environments") }
    }

    func run() throws {
        try runReporting(options) { context throws(CommandFailure) in
            let source = try context.environment(from)
            let destination = try context.environment(to)
            // Facts first (observing FROM only for the gates TO asks for), then one pure decision.
            let needs = PromotionGates.needs(destination)
            var facts = PromotionGates.Facts(hold: nil, lastApply: nil, pending: nil, drifted: nil, now: Date())
            if destination.promotion?.from == from {
                let destinationStore = try context.store(for: destination)
                do throws(TargetError) { facts.hold = try destinationStore.hold(to) } catch { throw CommandFailure(error.description) }
                if facts.hold == nil, let sourceStore = try context.existingStore(for: source) {
                    do throws(TargetError) { facts.lastApply = try sourceStore.lastSuccessfulApply(from) } catch { throw CommandFailure(error.description) }
                    if facts.lastApply != nil && needs.contains(.applied) {
                        let pending = try context.plan(try context.desired(source), target: context.target(for: source), store: sourceStore, options: .init(allowDestructive: true, allowEmpty: true))
                        facts.pending = pending.changes.map(\.id)
                        facts.sourceRevision = pending.shortRevision
                    }
                    if facts.lastApply != nil && facts.pending?.isEmpty != false && needs.contains(.noDrift) {
                        facts.drifted = try context.drift(source, store: sourceStore, policy: .init(allowDestructive: true, allowEmpty: true)).plan.changes.map(\.id)
                    }
                }
            }
            let revision: String
            switch PromotionGates.evaluate(from: from, to: destination, facts: facts) {
            case .success(let passed): revision = passed
            case .failure(let refusal): throw Self.failure(refusal, from: from, to: destination)
            }
            if destination.source == .revision(revision) {
                Console.out("\(to) is already pinned to \(revision.prefix(7)); nothing to promote.\n")
                return 0
            }
            // Gate: TO renders and validates at the candidate revision (its variables,
            // overlays and references), and its plan is shown, before any pin is written.
            var candidate = destination
            candidate.source = .revision(revision)
            let toPlan: Plan
            do throws(CommandFailure) {
                let state = try context.desired(candidate, at: revision)
                toPlan = try context.plan(state, target: context.target(for: destination), store: try context.existingStore(for: destination), options: .init())
            } catch {
                throw CommandFailure(error.diagnostics + [.error(at: destination.origin,
                    "gate renders: \(to) cannot take \(revision.prefix(7)) as it stands (above); nothing was pinned. Fix environments/\(to).yaml or the manifests, then promote again")])
            }
            Console.out(PlanRenderer.render(toPlan, as: options.output, style: Console.stdoutStyle) + "\n")
            if !toPlan.refusals.isEmpty {
                context.warn("\(toPlan.refusals.count) change\(toPlan.refusals.count == 1 ? "" : "s") in \(to)'s plan are refused by its policy; applying \(to) will need --allow-destructive or a manifest change")
            }
            let commit = try context.pin(destination, to: revision, message: """
                promote \(from) → \(to): \(revision.prefix(7))

                Promote-From: \(from)
                Promote-To: \(to)
                Revision: \(revision)
                Actor: \(context.actor)
                """)
            Console.out("Promoted \(from) → \(to): pinned \(to) to \(revision.prefix(7)) in commit \(commit.id.short). Run reconcile apply --env \(to) to apply it.\n")
            return 0
        }
    }

    /// A refused gate in words, with what to do.
    static func failure(_ refusal: PromotionGates.Refusal, from: String, to destination: Environment) -> CommandFailure {
        let to = destination.name
        switch refusal {
        case .noPromotion:
            return CommandFailure([.error(at: destination.origin, "environment \(to) has no spec.promotion; add spec.promotion: { from: \(from) } to promote into it")], kind: .invalid)
        case .promotesFrom(let expected):
            return CommandFailure([.error(at: destination.origin, "environment \(to) promotes from \(expected), not \(from); run reconcile promote \(expected) \(to)")], kind: .invalid)
        case .held(let hold):
            return CommandFailure("promotion into \(to) is held since \(LockInfo.format(hold.since)): \(hold.reason) (by \(hold.actor)); fix the cause, then run reconcile release --env \(to)")
        case .neverApplied:
            return CommandFailure("gate applied: \(from) has no successful apply to promote; run reconcile apply --env \(from) first")
        case .pending(let count, let sourceRevision):
            return CommandFailure("gate applied: \(from) has \(count) pending change\(count == 1 ? "" : "s") at its source revision \(sourceRevision), so what it applied is not what its source says; run reconcile apply --env \(from) first")
        case .drifted(let revision, let resources):
            return CommandFailure("gate no-drift: \(from) has drifted from \(revision.prefix(7)) (\(resources.map(\.description).joined(separator: ", "))); run reconcile drift --env \(from), heal or fix it, then promote")
        case .soaking(let revision, let soaked, let required, let readyAt):
            return CommandFailure("gate soak: \(from) applied \(revision.prefix(7)) \(Int(soaked))s ago and \(to) asks for \(Int(required))s of soak; promote after \(LockInfo.format(readyAt))")
        }
    }
}
