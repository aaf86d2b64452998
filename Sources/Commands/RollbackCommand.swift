import ArgumentParser
import Model
import Rendering
import Service
import Workspace

struct RollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Pin an environment back to a revision it applied successfully before, and hold promotions into it.",
        discussion: """
        Picks the revision (--to REV, or --steps N back, default 1) from history, writes
        the pin commit, holds promotion into the environment until reconcile release,
        and shows the plan; --apply applies it. Rollback keeps data: what the older
        revision lacks (a column added since, a version, a table) stays, and the plan
        says so, unless --allow-destructive.
        """
    )

    @OptionGroup var options: CommonOptions

    @OptionGroup var windowFlags: WindowFlags

    @Option(name: .long, help: "The revision to go back to; it must have been applied successfully here.")
    var to: String?

    @Option(name: .long, help: "How many successfully applied revisions to go back.")
    var steps: Int?

    @Flag(name: .long, help: "Apply the rolled-back revision now.")
    var apply: Bool = false

    @OptionGroup var policyFlags: PolicyFlags

    func validate() throws {
        guard options.env != nil else { throw ValidationError("rollback needs --env NAME") }
        if to != nil && steps != nil { throw ValidationError("--to and --steps exclude each other") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
    }

    func run() async throws {
        try await runReporting(options) { context async throws(ReconcileError) in
            let printer = ApplyPrinter(options.output)
            let result = try await Service(context, windowOverride: windowFlags.overrideWindow).rollback(options.env!, to: to, steps: steps, apply: apply, policy: policyFlags.options, control: printer.control)
            guard apply else {
                Console.out(PlanRenderer.render(result.plan, as: options.output, style: Console.stdoutStyle, run: result.run))
                if result.plan.hasChanges { Console.out("\nRun reconcile rollback with --apply, or reconcile apply --env \(options.env!), to apply it.\n") }
                return result.plan.hasChanges ? 2 : 0
            }
            return try printer.finish(result.report, run: result.run)
        }
    }
}
