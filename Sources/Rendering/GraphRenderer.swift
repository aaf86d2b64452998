import Model

/// Renders a resource graph as Mermaid (for markdown and GitHub) or Graphviz DOT.
public enum GraphRenderer {
    public enum Format: String, Sendable, CaseIterable {
        case mermaid, dot
    }

    public static func render(_ graph: ResourceGraph, as format: Format) -> String {
        switch format {
        case .mermaid: return mermaid(graph)
        case .dot: return dot(graph)
        }
    }

    static func mermaid(_ graph: ResourceGraph) -> String {
        var ids: [ResourceID: String] = [:]
        for (index, node) in graph.nodes.enumerated() { ids[node] = "n\(index)" }
        var out = "flowchart LR\n"
        for node in graph.nodes {
            let label = mermaidText(node.kind == .table || node.kind == .pipeline ? node.name : node.description)
            switch node.kind {
            case .pipeline: out += "  \(ids[node]!){{\"\(label)\"}}\n"
            case .table: out += "  \(ids[node]!)[(\"\(label)\")]\n"
            case .function: out += "  \(ids[node]!)([\"\(label)\"])\n"
            case .catalog, .schema, .model, .grants, .featureFlag: out += "  \(ids[node]!)[\"\(label)\"]\n"
            }
        }
        for edge in graph.edges {
            out += "  \(ids[edge.from]!) --> \(ids[edge.to]!)\n"
        }
        for kind in Set(graph.nodes.map(\.kind)).sorted(by: { $0.rank < $1.rank }) {
            let members = graph.nodes.filter { $0.kind == kind }.map { ids[$0]! }
            out += "  class \(members.joined(separator: ",")) \(kind.rawValue.lowercased())\n"
        }
        return out
    }

    static func mermaidText(_ text: String) -> String {
        text.replacing("\"", with: "#quot;")
    }

    static func dot(_ graph: ResourceGraph) -> String {
        var out = "digraph \(graph.name) {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n"
        for node in graph.nodes {
            let shape: String
            switch node.kind {
            case .pipeline: shape = "hexagon"
            case .table: shape = "cylinder"
            case .grants: shape = "note"
            case .featureFlag: shape = "diamond"
            case .function: shape = "ellipse"
            case .catalog, .schema, .model: shape = "box"
            }
            let label = node.kind == .table || node.kind == .pipeline ? node.name : node.description
            out += "  \(quote(node.description)) [label=\(quote(label)), shape=\(shape)];\n"
        }
        for edge in graph.edges {
            out += "  \(quote(edge.from.description)) -> \(quote(edge.to.description));\n"
        }
        return out + "}\n"
    }

    static func quote(_ text: String) -> String {
        "\"" + text.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
    }
}
