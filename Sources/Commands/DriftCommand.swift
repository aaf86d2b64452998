import ArgumentParser
import Engine
import Foundation
import Model
import Rendering
import Service
import Workspace

struct DriftCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Compare what the environment's target holds with the revision it last applied.",
        discussion: """
        Reports, per resource and field, what changed, what is missing and what extra
        this environment created is still there; resources nobody declared are listed
        but not counted. Fields under reconcile/ignore annotations are not drift.
        Exit 0 no drift, 2 drift, 1 error. --heal re-applies that revision where the
        environment's policy allows it and reports the rest (exit 2 while any remains).
        """
    )

    @OptionGroup var options: CommonOptions

    @OptionGroup var windowFlags: WindowFlags

    @Flag(name: .long, help: "Restore the last applied revision's declared state.")
    var heal: Bool = false

    @OptionGroup var policyFlags: PolicyFlags

    @OptionGroup var selectFlags: SelectionFlags

    func validate() throws {
        guard options.env != nil else { throw ValidationError("drift needs --env NAME") }
    }

    func run() async throws {
        try await runReporting(options) { context async throws(ReconcileError) in
            let service = Service(context, selection: try selectFlags.selection(), windowOverride: windowFlags.overrideWindow)
            keepUntilExit(service)
            let run = try service.run(options.env!)
            guard heal else {
                let report = try await run.drift(policy: policyFlags.options)
                await showNotice(context.lockNotice(run.environment, store: try run.existingStore()), output: options.output)
                Console.out(DriftRenderer.render(report, as: options.output, style: Console.stdoutStyle))
                return report.hasDrift ? 2 : 0
            }
            let printer = ApplyPrinter(options.output)
            let result = try await service.heal(run.name, policy: policyFlags.options, control: printer.control)
            guard result.drift.hasDrift else {
                Console.out(DriftRenderer.render(result.drift, as: options.output, style: Console.stdoutStyle))
                return 0
            }
            // What the policy allows was healed; the rest is reported (exit 2), with the
            // ways to settle it that keep the guardrail.
            let code = try printer.finish(result.report, run: result.run)
            guard !result.refused.isEmpty else { return code }
            Console.err(DiagnosticRenderer(style: Console.stderrStyle) { context.sourceLine($0, $1) }
                .render(PlanText.healAdvice(result.refused, environment: run.name)))
            return code == 0 ? 2 : code
        }
    }
}
