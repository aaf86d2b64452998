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
            guard let promotion = destination.promotion else {
                throw CommandFailure([.error(at: destination.origin, "environment \(to) has no spec.promotion; add spec.promotion: { from: \(from) } to promote into it")])
            }
            guard promotion.from == from else {
                throw CommandFailure([.error(at: destination.origin, "environment \(to) promotes from \(promotion.from), not \(from); run reconcile promote \(promotion.from) \(to)")])
            }
            let destinationStore = try context.store(for: destination)
            let hold: Hold?
            do throws(TargetError) { hold = try destinationStore.hold(to) } catch { throw CommandFailure(error.description) }
            if let hold {
                throw CommandFailure("promotion into \(to) is held since \(LockInfo.format(hold.since)): \(hold.reason) (by \(hold.actor)); fix the cause, then run reconcile release --env \(to)")
            }
            let sourceStore = try context.existingStore(for: source)
            let last: ApplyRecord?
            do throws(TargetError) { last = try sourceStore?.lastSuccessfulApply(from) } catch { throw CommandFailure(error.description) }
            guard let last, let sourceStore else {
                throw CommandFailure("gate applied: \(from) has no successful apply to promote; run reconcile apply --env \(from) first")
            }
            let revision = last.revision
            if promotion.requires.contains(.applied) {
                let pending = try context.plan(try context.desired(source), target: context.target(for: source), store: sourceStore, options: .init(allowDestructive: true, allowEmpty: true))
                if pending.hasChanges {
                    throw CommandFailure("gate applied: \(from) has \(pending.changes.count) pending change\(pending.changes.count == 1 ? "" : "s") at its source revision \(pending.shortRevision), so what it applied is not what its source says; run reconcile apply --env \(from) first")
                }
            }
            if promotion.requires.contains(.noDrift) {
                let drift = try context.drift(source, store: sourceStore, policy: .init(allowDestructive: true, allowEmpty: true))
                if drift.hasDrift {
                    throw CommandFailure("gate no-drift: \(from) has drifted from \(revision.prefix(7)) (\(drift.plan.changes.map(\.id.description).joined(separator: ", "))); run reconcile drift --env \(from), heal or fix it, then promote")
                }
            }
            let appliedAt = last.finishedAt ?? last.startedAt
            let soaked = Date().timeIntervalSince(appliedAt)
            if soaked < promotion.soak {
                let ready = appliedAt.addingTimeInterval(promotion.soak)
                throw CommandFailure("gate soak: \(from) applied \(revision.prefix(7)) \(Int(soaked))s ago and \(to) asks for \(Int(promotion.soak))s of soak; promote after \(LockInfo.format(ready))")
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
}
