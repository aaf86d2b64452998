/// What the core knows about a kind, answered in one place. Adding a kind is a case
/// in `ResourceKind` and `ResourceSpec`, its spec type, and an answer here; every
/// other place that depends on the kind switches over it without `default:`, so the
/// compiler lists what is left (docs/contributing.md walks through it).
public struct KindDescriptor: Sendable, Hashable {
    /// Position in create order when nothing else decides: a kind's usual
    /// dependencies come first (grants after what they are on).
    public var rank: Int
    /// How many dot-separated parts a full name has; nil for free identifiers
    /// (pipelines, flags) or derived names (grants).
    public var nameParts: Int?
    /// Whether the name's leading parts are the catalog (and schema) it lives in.
    public var inNamespace: Bool
    /// The plural used in messages (`tables`, `flags`).
    public var plural: String
    /// The `spec.targets` key that routes it (catalogs and schemas follow tables).
    public var routingKey: String
    /// What grants on it are called (`table:main.s.t`); nil when it cannot be granted on.
    public var securable: Securable.Kind?

    @usableFromInline
    init(rank: Int, nameParts: Int?, inNamespace: Bool, plural: String, routingKey: String, securable: Securable.Kind?) {
        self.rank = rank
        self.nameParts = nameParts
        self.inNamespace = inNamespace
        self.plural = plural
        self.routingKey = routingKey
        self.securable = securable
    }
}

extension ResourceKind {
    /// Inlinable: sorting by `rank` runs millions of times in a large plan.
    @inlinable
    public var descriptor: KindDescriptor {
        switch self {
        case .catalog:
            return KindDescriptor(rank: 0, nameParts: 1, inNamespace: true, plural: "catalogs", routingKey: "tables", securable: .catalog)
        case .schema:
            return KindDescriptor(rank: 1, nameParts: 2, inNamespace: true, plural: "schemas", routingKey: "tables", securable: .schema)
        case .function:
            // Before tables: their masks and row filters call functions.
            return KindDescriptor(rank: 2, nameParts: 3, inNamespace: true, plural: "functions", routingKey: "functions", securable: nil)
        case .table:
            return KindDescriptor(rank: 3, nameParts: 3, inNamespace: true, plural: "tables", routingKey: "tables", securable: .table)
        case .model:
            return KindDescriptor(rank: 4, nameParts: 3, inNamespace: true, plural: "models", routingKey: "models", securable: .model)
        case .pipeline:
            return KindDescriptor(rank: 5, nameParts: nil, inNamespace: false, plural: "pipelines", routingKey: "pipelines", securable: .pipeline)
        case .grants:
            return KindDescriptor(rank: 6, nameParts: nil, inNamespace: false, plural: "grants", routingKey: "grants", securable: nil)
        case .featureFlag:
            return KindDescriptor(rank: 7, nameParts: nil, inNamespace: false, plural: "flags", routingKey: "flags", securable: nil)
        }
    }

    @inlinable public var rank: Int { descriptor.rank }
    @inlinable public var nameParts: Int? { descriptor.nameParts }
    @inlinable public var plural: String { descriptor.plural }
    @inlinable public var routingKey: String { descriptor.routingKey }
}
