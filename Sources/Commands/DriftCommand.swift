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
        Exit 0 no drift, 2 drift, 1 error. --heal re-applies that revision, subject to
        the environment's policy.
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
                let store = try context.store(for: environment)
                return try context.withLock(environment, store: store, command: "drift --heal") { () throws(CommandFailure) in
                    let report = try context.drift(environment, store: store, policy: policyFlags.options)
                    if !report.hasDrift {
                        Console.out(DriftRenderer.render(report, as: options.output, style: Console.stdoutStyle))
                        return 0
                    }
                    return try context.execute(report.plan, on: target, store: store, kind: .heal, output: options.output)
                }
            }
            let report = try context.drift(environment, store: try context.existingStore(for: environment), policy: policyFlags.options)
            Console.out(DriftRenderer.render(report, as: options.output, style: Console.stdoutStyle))
            return report.hasDrift ? 2 : 0
        }
    }
}

