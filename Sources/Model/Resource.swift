/// The kinds of resource `reconcile` manages, in dependency order.
public enum ResourceKind: String, Sendable, Hashable, Codable, CaseIterable {
    case catalog = "Catalog"
    case schema = "Schema"
    case function = "Function"
    case table = "Table"
    case model = "Model"
    case pipeline = "Pipeline"
    case grants = "Grants"
    case featureFlag = "FeatureFlag"
}

/// A resource's identity: kind and full name (`Table/main.sales.orders`).
public struct ResourceID: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var kind: ResourceKind
    public var name: String

    public init(_ kind: ResourceKind, _ name: String) {
        self.kind = kind
        self.name = name
    }

    public var description: String { "\(kind.rawValue)/\(name)" }

    /// Dependency order first, then name.
    public static func < (lhs: ResourceID, rhs: ResourceID) -> Bool {
        if lhs.kind.rank != rhs.kind.rank { return lhs.kind.rank < rhs.kind.rank }
        return lhs.name < rhs.name
    }

    /// The namespaces this one lives in (a table's schema and catalog), by its kind's name shape.
    public var parents: [ResourceID] {
        // By the dots' positions: asked for every resource in every plan.
        guard kind.descriptor.inNamespace, let count = kind.nameParts, count >= 2,
              let first = name.firstIndex(of: ".") else { return [] }
        let catalog = ResourceID(.catalog, String(name[..<first]))
        if count == 2 { return [catalog] }
        guard let second = name[name.index(after: first)...].firstIndex(of: ".") else { return [] }
        return [catalog, ResourceID(.schema, String(name[..<second]))]
    }

    public init?(parsing text: String) {
        guard let slash = text.firstIndex(of: "/"),
              let kind = ResourceKind(rawValue: String(text[..<slash])) else { return nil }
        self.init(kind, String(text[text.index(after: slash)...]))
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = ResourceID(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a resource id: \(text)"))
        }
        self = id
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A catalog or a schema: a namespace with a comment, an owner and properties.
public struct NamespaceSpec: Sendable, Hashable {
    public var comment: String?
    public var owner: String?
    public var properties: [String: String]
    /// Unity Catalog tags; nil: not managed (whatever is there stays).
    public var tags: [String: String]?

    public init(comment: String? = nil, owner: String? = nil, properties: [String: String] = [:], tags: [String: String]? = nil) {
        self.comment = comment
        self.owner = owner
        self.properties = properties
        self.tags = tags
    }
}

/// What a resource is, by kind. Indirect: a resource is copied wherever it goes (plans,
/// states, caches), and a boxed spec copies with one reference instead of one per field.
public indirect enum ResourceSpec: Sendable, Hashable {
    case catalog(NamespaceSpec)
    case schema(NamespaceSpec)
    case function(FunctionSpec)
    case table(TableSpec)
    case model(ModelSpec)
    case pipeline(PipelineSpec)
    case grants(GrantsSpec)
    case featureFlag(FlagSpec)

    public var kind: ResourceKind {
        switch self {
        case .catalog: return .catalog
        case .schema: return .schema
        case .function: return .function
        case .table: return .table
        case .model: return .model
        case .pipeline: return .pipeline
        case .grants: return .grants
        case .featureFlag: return .featureFlag
        }
    }
}

/// Facts a target reports about a resource beyond its spec; never part of a diff.
public struct Observation: Sendable, Hashable {
    /// The table's Delta log version, for instance.
    public var version: Int?
    /// Whether the resource holds data (a Delta table with live files).
    public var hasData: Bool
    /// Identifiers the target gave the resource (a Databricks `pipeline_id`, the
    /// `last_modified` an edit must name, the id of the job that schedules it).
    public var remote: [String: String]

    public init(version: Int? = nil, hasData: Bool = false, remote: [String: String] = [:]) {
        self.version = version
        self.hasData = hasData
        self.remote = remote
    }
}

/// A resource: desired (from a manifest) or observed (from a target).
public struct Resource: Sendable, Hashable {
    public var id: ResourceID
    public var spec: ResourceSpec
    public var labels: [String: String]
    public var annotations: [String: String]
    /// The manifest it was declared in; nil for an observed resource.
    public var origin: SourceLocation?
    /// Target-side facts; nil for a desired resource.
    public var observation: Observation?

    public init(
        id: ResourceID, spec: ResourceSpec, labels: [String: String] = [:],
        annotations: [String: String] = [:], origin: SourceLocation? = nil, observation: Observation? = nil
    ) {
        self.id = id
        self.spec = spec
        self.labels = labels
        self.annotations = annotations
        self.origin = origin
        self.observation = observation
    }

    public var table: TableSpec? {
        if case .table(let table) = spec { return table }
        return nil
    }

    /// `reconcile/protect: "true"`: never delete or replace.
    public static let protectAnnotation = "reconcile/protect"

    public var isProtected: Bool { annotations[Self.protectAnnotation] == "true" }

    /// `reconcile/ignore`: JSON pointers (comma-separated, or a YAML list) of fields
    /// whose differences are neither planned nor reported as drift.
    public static let ignoreAnnotation = "reconcile/ignore"

    public var ignoredFields: [String] {
        (annotations[Self.ignoreAnnotation] ?? "").split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }.map(String.init)
    }

    /// What must exist before this resource: its namespaces, and what its spec
    /// names (a pipeline's catalog, schema and tables; the securable of grants).
    public var dependencies: [ResourceID] {
        switch spec {
        case .catalog, .schema, .model, .featureFlag, .function:
            return id.parents
        case .table(let table):
            // The functions its masks and row filter call must exist first.
            let functions = table.functionsUsed
            return functions.isEmpty ? id.parents : id.parents + functions.map { ResourceID(.function, $0) }
        case .pipeline(let pipeline):
            var result = [ResourceID(.catalog, pipeline.catalog), ResourceID(.schema, "\(pipeline.catalog).\(pipeline.target)")]
            result += (pipeline.consumes + pipeline.produces).map { ResourceID(.table, $0) }
            return result
        case .grants(let grants):
            return [grants.securable.resourceID]
        }
    }
}
