import Workspace
import ArgumentParser
import Engine
import LocalTarget
import Model
import Rendering
import SQLiteState

struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Apply the manifests to an environment.",
        discussion: """
        Takes the environment's lock, plans, refuses the whole apply if the policy
        refuses any change, then applies the changes in order and stops at the first
        failure; every change is journaled and the apply recorded in history. Exit 0 on
        success, 1 on error; with --dry-run it is plan (exit 2 when changes are pending).
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
        if !dryRun { Interrupts.shared.install() }
        try runReporting(options) { context throws(CommandFailure) in
            if dryRun { return try showPlan(context, options: options, policy: policy) }
            let environment = try context.environment(options.env!)
            if let warning = context.uncommittedWarning(verb: "apply") { context.warn(warning) }
            if options.worktree && !environment.policy.allowWorktree {
                throw CommandFailure([.error(at: environment.origin,
                    "environment \"\(environment.name)\" does not allow applying uncommitted manifests; commit them, or set spec.policy.allowWorktree: true")])
            }
            let state = try context.desired(environment)
            let target = context.target(for: environment)
            let store = try context.store(for: environment)
            return try context.withLock(environment, store: store, command: "apply") { () throws(CommandFailure) in
                let plan = try context.plan(state, target: target, store: store, options: policy)
                return try context.execute(plan, on: target, store: store, kind: .apply, output: options.output)
            }
        }
    }
}

extension Context {
    /// Shows the plan, refuses it whole if policy refuses any change, else applies it
    /// and records it in history. Each change's line is printed as soon as it is
    /// recorded. SIGINT or SIGTERM stop after the change in flight (exit 130 or 143).
    /// Returns the exit code.
    func execute(_ plan: Plan, on target: some Target, store: SQLiteStateStore, kind: ApplyRecord.Kind, output: OutputFormat) throws(CommandFailure) -> Int32 {
        // Human and markdown readers see the plan first (a CI summary shows what was
        // applied); JSON shows the plan only when nothing is applied, else the report.
        if output != .json {
            Console.out(PlanRenderer.render(plan, as: output, style: Console.stdoutStyle))
        } else if !plan.refusals.isEmpty || !plan.hasChanges {
            Console.out(PlanRenderer.render(plan, as: .json))
        }
        let interrupts = Interrupts.shared
        interrupts.install()
        let style = Console.stdoutStyle
        let report = try apply(plan, on: target, store: store, kind: kind, shouldStop: { interrupts.received != nil }) { index, outcome in
            guard output != .json else { return }
            let change = plan.changes[index]
            Console.out(ApplyRenderer.line(change.id, change.action, outcome, style: style))
        }
        guard let report else { return 0 }
        if output == .json {
            Console.out(ApplyRenderer.render(report, as: .json))
        } else {
            Console.out(ApplyRenderer.summary(report, style: style))
        }
        if let failure = Workspace.failure(of: report) { throw failure }
        if report.stopped, let signal = interrupts.received { return Interrupts.exitCode(signal) }
        return 0
    }
}
