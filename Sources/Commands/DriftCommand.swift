import Workspace
import ArgumentParser
import Engine
import Foundation
import Model
import Rendering

struct DriftCommand: ParsableCommand {
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

    @Flag(name: .long, help: "Restore the last applied revision's declared state.")
    var heal: Bool = false

    @OptionGroup var policyFlags: PolicyFlags

    func validate() throws {
        guard options.env != nil else { throw ValidationError("drift needs --env NAME") }
    }

    func run() throws {
        try runReporting(options) { context throws(CommandFailure) in
            let environment = try context.environment(options.env!)
            let target = context.target(for: environment)
            if heal {
                Interrupts.shared.install()
                let store = try context.store(for: environment)
                return try context.withLock(environment, store: store, command: "drift --heal") { () throws(CommandFailure) in
                    let report = try context.drift(environment, store: store, policy: policyFlags.options)
                    if !report.hasDrift {
                        Console.out(DriftRenderer.render(report, as: options.output, style: Console.stdoutStyle))
                        return 0
                    }
                    // Heal what the policy allows; report the rest (exit 2), with the
                    // ways to settle it that keep the guardrail.
                    let (healable, refused) = DriftHeal.split(report.plan)
                    var code: Int32 = 0
                    if healable.hasChanges {
                        code = try context.execute(healable, on: target, store: store, kind: .heal, output: options.output)
                    }
                    if !refused.isEmpty {
                        Console.err(DiagnosticRenderer(style: Console.stderrStyle) { context.sourceLine($0, $1) }
                            .render(DriftHeal.advice(refused, environment: environment.name)))
                        return code == 0 ? 2 : code
                    }
                    return code
                }
            }
            let store = try context.existingStore(for: environment)
            let report = try context.drift(environment, store: store, policy: policyFlags.options)
            showNotice(context.lockNotice(environment, store: store), output: options.output)
            Console.out(DriftRenderer.render(report, as: options.output, style: Console.stdoutStyle))
            return report.hasDrift ? 2 : 0
        }
    }
}

