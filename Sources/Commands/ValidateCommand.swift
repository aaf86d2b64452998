import ArgumentParser
import Engine
import Model
import Service
import Workspace

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check the manifests and environment files, reporting every error with its position.",
        discussion: "Without --env, checks the manifests as rendered for every environment. Exit 0 valid, 1 errors."
    )

    @OptionGroup var options: CommonOptions

    func run() async throws {
        try await runReporting(options) { context async throws(ReconcileError) in
            // Every environment file, the broken ones included: each is reported.
            let names = options.env.map { [$0] } ?? Set(context.loaded.environments.keys).union(context.loaded.brokenEnvironments.keys).sorted()
            if names.isEmpty {
                throw ReconcileError(context.loaded.diagnostics + [.error(at: nil, "no environments/*.yaml found at revision \(context.source.shortRevision); add one, e.g. environments/dev.yaml")], kind: .invalid)
            }
            var problems: [Diagnostic] = []
            var counts: [String] = []
            let service = Service(context)
            keepUntilExit(service)
            for name in names {
                do throws(ReconcileError) {
                    let run = try service.run(name)
                    let state = try run.desired()
                    _ = try await run.observe(state)
                    counts.append("\(name): \(state.resources.count) resources")
                } catch {
                    // The same manifest error shows once, even when every environment hits it.
                    problems += error.diagnostics.filter { !problems.contains($0) }
                }
            }
            if !problems.isEmpty { throw ReconcileError(problems, kind: .invalid) }
            Console.out("Valid at \(context.source.shortRevision) (\(counts.joined(separator: "; "))).\n")
            return 0
        }
    }
}
