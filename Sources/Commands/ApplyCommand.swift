import ArgumentParser
import Engine
import Model
import Service
import Workspace

struct ApplyCommand: AsyncParsableCommand {
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

    @OptionGroup var selectFlags: SelectionFlags

    @OptionGroup var windowFlags: WindowFlags

    @Flag(name: .long, help: "Apply without asking in an environment with policy.confirm: true (Terraform's -auto-approve).")
    var yes: Bool = false

    func validate() throws {
        guard options.env != nil else { throw ValidationError("apply needs --env NAME") }
    }

    func run() async throws {
        let policy = policyFlags.options
        if !dryRun { Interrupts.shared.install() }
        try await runReporting(options) { context async throws(ReconcileError) in
            let selection = try selectFlags.selection()
            if dryRun { return try await showPlan(context, options: options, policy: policy, selection: selection) }
            let service = Service(context, selection: selection, windowOverride: windowFlags.overrideWindow)
            keepUntilExit(service)
            _ = try service.run(options.env!)
            if let warning = context.uncommittedWarning(verb: "apply") { context.warn(warning) }
            let printer = ApplyPrinter(options.output)
            var control = printer.control
            let yes = self.yes
            control.confirm = { plan in yes ? .yes : Console.ask(plan) }
            let result = try await service.apply(options.env!, policy: policy, control: control)
            keepUntilExit(result)
            return try printer.finish(result.report, run: result.run)
        }
    }
}
