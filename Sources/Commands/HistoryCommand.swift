import Workspace
import ArgumentParser
import Model
import Rendering

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List an environment's applies: revision, plan digest, actor, outcome, and each change's result."
    )

    @OptionGroup var options: CommonOptions

    @Option(name: .long, help: "How many applies to show, newest first.")
    var limit: Int = 20

    func validate() throws {
        guard options.env != nil else { throw ValidationError("history needs --env NAME") }
        guard limit > 0 else { throw ValidationError("--limit must be positive") }
    }

    func run() async throws {
        try await runReporting(options) { context async throws(ReconcileError) in
            let environment = try context.environment(options.env!)
            let store = try context.existingStore(for: environment)
            let records: [ApplyRecord]
            do throws(TargetError) {
                records = try await store?.history(environment.name, limit: limit) ?? []
            } catch {
                throw ReconcileError(store: error)
            }
            Console.out(HistoryRenderer.render(records, environment: environment.name, as: options.output))
            return 0
        }
    }
}
