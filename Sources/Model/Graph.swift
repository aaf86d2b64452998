/// A directed graph of resources, for `reconcile graph`.
public struct ResourceGraph: Sendable, Hashable {
    public struct Edge: Sendable, Hashable {
        public var from: ResourceID
        public var to: ResourceID
        public var label: String?

        public init(from: ResourceID, to: ResourceID, label: String? = nil) {
            self.from = from
            self.to = to
            self.label = label
        }
    }

    public var name: String
    public var nodes: [ResourceID]
    public var edges: [Edge]

    public init(name: String, nodes: [ResourceID], edges: [Edge]) {
        self.name = name
        self.nodes = nodes
        self.edges = edges
    }

    /// Lineage: tables and the pipelines between them (table → pipeline it feeds →
    /// table it produces).
    public static func lineage(_ resources: [Resource]) -> ResourceGraph {
        var nodes: Set<ResourceID> = []
        var edges: [Edge] = []
        for resource in resources {
            guard case .pipeline(let pipeline) = resource.spec else { continue }
            nodes.insert(resource.id)
            for table in pipeline.consumes {
                let id = ResourceID(.table, table)
                nodes.insert(id)
                edges.append(Edge(from: id, to: resource.id))
            }
            for table in pipeline.produces {
                let id = ResourceID(.table, table)
                nodes.insert(id)
                edges.append(Edge(from: resource.id, to: id))
            }
        }
        for resource in resources where resource.id.kind == .table { nodes.insert(resource.id) }
        return ResourceGraph(name: "lineage", nodes: nodes.sorted(), edges: edges.sorted { ($0.from, $0.to) < ($1.from, $1.to) })
    }

    /// Dependencies: every resource, with an edge from what it needs to itself.
    public static func dependencies(_ resources: [Resource]) -> ResourceGraph {
        let ids = Set(resources.map(\.id))
        var edges: [Edge] = []
        for resource in resources {
            for dependency in Set(resource.dependencies) where ids.contains(dependency) {
                edges.append(Edge(from: dependency, to: resource.id))
            }
        }
        return ResourceGraph(name: "dependencies", nodes: ids.sorted(), edges: edges.sorted { ($0.from, $0.to) < ($1.from, $1.to) })
    }
}
