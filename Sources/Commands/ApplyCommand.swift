import ArgumentParser
import Engine
import Model
import Rendering

struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Apply the manifests to an environment.",
        discussion: """
        Plans, refuses the whole apply if the policy refuses any change, then applies
        the changes in order and stops at the first failure. Exit 0 on success, 1 on
        error; with --dry-run it is plan (exit 2 when changes are pending).
        """
    )

    @OptionGroup var options: CommonOptions

    @Flag(name: .long, help: "Only show the plan (the same as reconcile plan).")
    var dryRun: Bool = false

    @OptionGroup var policyFlags: PolicyFlags

    func validate() throws {
        guard options.env != nil else { throw ValidationError("apply needs --env NAME") }
    }

    func run() throws {
        let policy = policyFlags.options
        try runReporting(options) { context throws(CommandFailure) in
            if dryRun { return try showPlan(context, options: options, policy: policy) }
            let state = try context.desired(options.env!)
            if options.worktree && !state.environment.policy.allowWorktree {
                throw CommandFailure([.error(at: state.environment.origin,
                    "environment \"\(state.environment.name)\" does not allow applying uncommitted manifests; commit them, or set spec.policy.allowWorktree: true")])
            }
            let target = context.target(for: state.environment)
            let plan = try context.plan(state, target: target, options: policy)
            if options.output == .human {
                Console.out(PlanRenderer.render(plan, as: .human, style: Console.stdoutStyle))
            }
            let refused = plan.refusals
            if !refused.isEmpty {
                if options.output == .json { Console.out(PlanRenderer.render(plan, as: .json)) }
                throw CommandFailure(refused.map { change in
                    let why = change.destructiveReasons.isEmpty ? "" : change.destructiveReasons.joined(separator: "; ") + "; "
                    return .error(at: change.origin, "\(change.id): \(why)\(change.refusal!)")
                }
                    + [.error(at: nil, "apply refused: \(refused.count) change\(refused.count == 1 ? "" : "s") not allowed by policy; nothing was changed")])
            }
            guard plan.hasChanges else {
                if options.output == .json { Console.out(PlanRenderer.render(plan, as: .json)) }
                return 0
            }
            let report: ApplyReport
            do throws(TargetError) {
                report = try Applier.apply(plan, to: target)
            } catch {
                throw CommandFailure("\(error.description); the inventory could not be saved, so check \(target.summary) before applying again")
            }
            Console.out(ApplyRenderer.render(report, as: options.output, style: Console.stdoutStyle))
            if let failed = zip(plan.changes, report.outcomes).first(where: { if case .failed = $1 { return true }; return false }),
               case .failed(let message) = failed.1 {
                throw CommandFailure([.error(at: failed.0.origin, "\(failed.0.id): \(message)"),
                                      .error(at: nil, "apply failed: \(report.appliedCount) of \(plan.changes.count) changes applied; fix the cause and apply again")])
            }
            return 0
        }
    }
}
