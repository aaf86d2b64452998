import Workspace
import ArgumentParser
import Model
import Rendering

struct GraphCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Print the lineage (pipelines between tables) or the dependency graph, as Mermaid or DOT."
    )

    enum View: String, ExpressibleByArgument, CaseIterable {
        case lineage, dependencies
    }

    @OptionGroup var options: CommonOptions

    @Option(name: .long, help: "mermaid or dot.")
    var format: GraphRenderer.Format = .mermaid

    @Option(name: .long, help: "lineage (tables and pipelines) or dependencies (every resource).")
    var view: View = .lineage

    func validate() throws {
        guard options.env != nil else { throw ValidationError("graph needs --env NAME") }
    }

    func run() async throws {
        try await runReporting(options) { context async throws(ReconcileError) in
            let state = try context.desired(options.env!)
            let graph = view == .lineage ? ResourceGraph.lineage(state.resources) : ResourceGraph.dependencies(state.resources)
            switch options.output {
            case .json:
                // The graph as data, whatever --format says.
                Console.out(JSONText.encode(.object([
                    "formatVersion": .int(PlanRenderer.formatVersion), "graph": .string(graph.name),
                    "nodes": .array(graph.nodes.map { .string($0.description) }),
                    "edges": .array(graph.edges.map { edge in
                        var entry: [String: Value] = ["from": .string(edge.from.description), "to": .string(edge.to.description)]
                        if let label = edge.label { entry["label"] = .string(label) }
                        return .object(entry)
                    }),
                ])))
            case .human, .markdown:
                Console.out(GraphRenderer.render(graph, as: format))
            }
            return 0
        }
    }
}

extension GraphRenderer.Format: ExpressibleByArgument {}
