import ArgumentParser
import Engine
import Model
import Rendering
import Service
import Workspace
import Foundation

/// `reconcile --dry-run`: the line CI runs on a pull request. Validates and plans
/// every environment (or each `--env`) at the revision in one run, prints each plan,
/// and exits 2 when any would change, 1 on any error (the others still planned).
struct DryRun {
    var environments: [String]
    var read: ReadOptions
    var output: OutputFormat

    /// The exit code: 1 beats 2 beats 0.
    func run() async -> Int32 {
        let context: Context
        do throws(ReconcileError) {
            context = try Context(read)
        } catch {
            report(error, context: nil, output: output)
            return 1
        }
        let names = environments.isEmpty
            ? Set(context.loaded.environments.keys).union(context.loaded.brokenEnvironments.keys).sorted()
            : environments
        guard !names.isEmpty else {
            report(ReconcileError([.error(at: nil, "no environments/*.yaml found at revision \(context.source.shortRevision); add one, e.g. environments/dev.yaml")], kind: .invalid),
                   context: context, output: output)
            return 1
        }
        var worst: Int32 = 0
        var documents: [String: Value] = [:]
        let service = Service(context)
        keepUntilExit(service)
        for name in names {
            let code: Int32
            do throws(ReconcileError) {
                let run = try service.run(name)
                _ = try run.desired()
                let plan = try await run.plan(policy: PolicyCheck.Options())
                let refused = Service.refusals(of: plan, verb: "plan")
                switch output {
                case .json: documents[name] = PlanRenderer.json(plan, run: run.report)
                case .human: Console.out("== \(name) ==\n" + PlanRenderer.render(plan, as: .human, style: Console.stdoutStyle, run: run.report) + "\n")
                case .markdown: Console.out(PlanRenderer.render(plan, as: .markdown) + "\n")
                }
                if let refused { context.report(refused) }
                code = refused != nil ? 1 : plan.changesTarget ? 2 : 0
            } catch {
                context.report(error)
                switch output {
                case .json: documents[name] = DiagnosticRenderer.json(error.diagnostics)
                case .human: Console.out("== \(name) ==\nerror: the plan failed; see the errors above\n\n")
                case .markdown: Console.out(DiagnosticRenderer.markdown(error.diagnostics, title: "reconcile plan for `\(name)`: errors") + "\n")
                }
                code = 1
            }
            if code == 1 || (code == 2 && worst == 0) { worst = code }
        }
        if output == .json {
            Console.out(JSONText.encode(.object([
                "formatVersion": .int(PlanRenderer.formatVersion), "revision": .string(context.source.revision),
                "exitCode": .int(Int(worst)), "environments": .object(documents),
            ])))
        }
        return worst
    }
}

/// The root's own form: `reconcile --dry-run [--env E]… [--repo R] [--revision REV] [--path P] [--output F]`.
struct DryRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Validate and plan every environment (or each --env) at the revision: the line CI runs on a pull request.",
        discussion: "Exit 0 when no environment would change, 2 when any would, 1 on any error (every environment is still planned)."
    )

    @Flag(name: .long, help: "Plan without changing anything (required in this form).")
    var dryRun: Bool = false

    @Option(name: .long, help: "An environment to plan (repeatable; every one when absent).")
    var env: [String] = []

    @Option(name: .long, help: "The git repository (default: the one containing the current directory).")
    var repo: String?

    @Option(name: .long, help: "The revision to read: a branch, tag, sha or HEAD~n.")
    var revision: String = "HEAD"

    @Option(name: .long, help: "The project's directory in the repository.")
    var path: String?

    @Option(name: .long, help: "Output format: human, json or markdown.")
    var output: OutputFormat = .human

    func validate() throws {
        guard dryRun else { throw ValidationError("reconcile needs a subcommand (see reconcile --help), or --dry-run to plan every environment") }
    }

    func run() async throws {
        let code = await DryRun(environments: env, read: ReadOptions(repo: repo, revision: revision, path: path), output: output).run()
        if code != 0 { throw ExitCode(code) }
    }

    /// Parses `arguments` as this form and runs it; exits with its code (usage errors: 1).
    static func runMain(_ arguments: [String]) async -> Never {
        await runParsed(DryRunCommand.self) { try parseAsRoot(arguments) }
    }
}
