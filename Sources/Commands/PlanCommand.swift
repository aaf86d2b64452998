import Workspace
import ArgumentParser
import Engine
import Model
import Rendering
import Service

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what apply would change in an environment.",
        discussion: "Exit 0 when nothing would change, 2 when changes are pending, 1 on error or when the policy refuses a change (each refusal is listed)."
    )

    @OptionGroup var options: CommonOptions

    @Flag(name: .long, help: "Accepted for symmetry with apply; plan never changes anything.")
    var dryRun: Bool = false

    @OptionGroup var policy: PolicyFlags

    @OptionGroup var selectFlags: SelectionFlags

    func validate() throws {
        guard options.env != nil else { throw ValidationError("plan needs --env NAME") }
    }

    func run() async throws {
        try await runReporting(options) { context async throws(ReconcileError) in
            try await showPlan(context, options: options, policy: policy.options, selection: try selectFlags.selection())
        }
    }
}

/// Plans, prints the plan, and returns 2 when there are changes.
func showPlan(_ context: Context, options: CommonOptions, policy: PolicyCheck.Options, selection: Selection = .all) async throws(ReconcileError) -> Int32 {
    let service = Service(context, selection: selection)
    keepUntilExit(service)
    let run = try service.run(options.env!)
    _ = try run.desired()
    if let warning = context.uncommittedWarning(verb: "plan") { context.warn(warning) }
    let plan = try await run.plan(policy: policy)
    keepUntilExit(plan)
    let store = try run.existingStore()
    await showNotice(context.lockNotice(run.environment, store: store), output: options.output)
    await showNotice(context.pinNotice(run.environment, store: store), output: options.output)
    Console.out(PlanRenderer.render(plan, as: options.output, style: Console.stdoutStyle, run: run.report))
    if let refused = Service.refusals(of: plan, verb: "plan") { throw refused }
    return plan.changesTarget ? 2 : 0
}

/// A notice shown above a plan or drift report (on standard error for JSON, which
/// stays one document).
func showNotice(_ notice: String?, output: OutputFormat) {
    guard let notice else { return }
    switch output {
    case .human: Console.out("Note: \(notice).\n\n")
    case .markdown: Console.out("> **Note:** \(notice).\n\n")
    case .json: Console.err("note: \(notice)\n")
    }
}
