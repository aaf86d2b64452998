import Model

/// Small builders for resources, so each test states only what matters to it.
enum Fixture {
    static func table(_ name: String, _ columns: [Column], partitionedBy: [String] = [], properties: [String: String] = [:],
                      constraints: [String: String] = [:], comment: String? = nil, hasData: Bool? = nil) -> Resource {
        Resource(id: ResourceID(.table, name),
                 spec: .table(TableSpec(comment: comment, columns: columns, partitionedBy: partitionedBy,
                                        properties: properties, constraints: constraints)),
                 observation: hasData.map { Observation(version: 0, hasData: $0) })
    }

    static func catalog(_ name: String, comment: String? = nil) -> Resource {
        Resource(id: ResourceID(.catalog, name), spec: .catalog(NamespaceSpec(comment: comment)))
    }

    static func schema(_ name: String) -> Resource {
        Resource(id: ResourceID(.schema, name), spec: .schema(NamespaceSpec()))
    }

    static let orders: [Column] = [
        Column(name: "order_id", type: .long, nullable: false),
        Column(name: "amount", type: .decimal(precision: 18, scale: 2)),
        Column(name: "order_date", type: .date),
    ]

    /// A planner input; without `inventory`, the environment owns everything observed
    /// (it built the target), so nothing is adopted.
    static func input(desired: [Resource], observed: [Resource], inventory: Set<ResourceID>? = nil, prune: Bool = true) -> Planner.Input {
        Planner.Input(environment: "dev", revision: "abc1234", target: "local test", desired: desired, observed: observed,
                      inventory: Inventory(environment: "dev", resources: inventory ?? Set(observed.map(\.id))), prune: prune)
    }
}

import Engine
