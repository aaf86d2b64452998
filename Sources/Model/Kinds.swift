/// A declarative pipeline: where it writes, what it runs, and the tables it reads
/// and writes (the lineage graph).
public struct PipelineSpec: Sendable, Hashable {
    public var catalog: String
    /// The schema it publishes to.
    public var target: String
    /// Paths of SQL or Python files in the repository.
    public var libraries: [String]
    public var configuration: [String: String]
    public var continuous: Bool
    public var schedule: Schedule?
    public var development: Bool
    public var produces: [String]
    public var consumes: [String]

    public init(catalog: String, target: String, libraries: [String] = [], configuration: [String: String] = [:],
                continuous: Bool = false, schedule: Schedule? = nil, development: Bool = false,
                produces: [String] = [], consumes: [String] = []) {
        self.catalog = catalog
        self.target = target
        self.libraries = libraries
        self.configuration = configuration
        self.continuous = continuous
        self.schedule = schedule
        self.development = development
        self.produces = produces
        self.consumes = consumes
    }
}

/// When a triggered pipeline runs: a cron expression and its time zone.
public struct Schedule: Sendable, Hashable {
    public var cron: String
    public var timezone: String

    public init(cron: String, timezone: String = "UTC") {
        self.cron = cron
        self.timezone = timezone
    }
}

/// What grants apply to.
public struct Securable: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case catalog, schema, table, function, model, pipeline

        public var resourceKind: ResourceKind {
            switch self {
            case .catalog: return .catalog
            case .schema: return .schema
            case .table: return .table
            case .function: return .function
            case .model: return .model
            case .pipeline: return .pipeline
            }
        }

        /// Unity Catalog's privileges for this securable (pipelines use workspace permissions).
        public var privileges: [String] {
            switch self {
            case .catalog:
                return ["ALL_PRIVILEGES", "APPLY_TAG", "BROWSE", "CREATE_FUNCTION", "CREATE_MATERIALIZED_VIEW", "CREATE_MODEL",
                        "CREATE_SCHEMA", "CREATE_TABLE", "CREATE_VOLUME", "EXECUTE", "MANAGE", "MODIFY", "READ_VOLUME",
                        "REFRESH", "SELECT", "USE_CATALOG", "USE_SCHEMA", "WRITE_VOLUME"]
            case .schema:
                return ["ALL_PRIVILEGES", "APPLY_TAG", "CREATE_FUNCTION", "CREATE_MATERIALIZED_VIEW", "CREATE_MODEL",
                        "CREATE_TABLE", "CREATE_VOLUME", "EXECUTE", "MANAGE", "MODIFY", "READ_VOLUME", "REFRESH",
                        "SELECT", "USE_SCHEMA", "WRITE_VOLUME"]
            case .table:
                return ["ALL_PRIVILEGES", "APPLY_TAG", "MANAGE", "MODIFY", "SELECT"]
            case .function:
                return ["ALL_PRIVILEGES", "EXECUTE", "MANAGE"]
            case .model:
                return ["ALL_PRIVILEGES", "APPLY_TAG", "EXECUTE", "MANAGE"]
            case .pipeline:
                return ["CAN_MANAGE", "CAN_RUN", "CAN_VIEW", "IS_OWNER"]
            }
        }
    }

    public var type: Kind
    public var name: String

    public init(_ type: Kind, _ name: String) {
        self.type = type
        self.name = name
    }

    public var resourceID: ResourceID { ResourceID(type.resourceKind, name) }
    /// `table:main.gold.revenue`: also the name of the Grants resource on it.
    public var description: String { "\(type.rawValue):\(name)" }

    public init?(parsing text: String) {
        guard let colon = text.firstIndex(of: ":"), let type = Kind(rawValue: String(text[..<colon])) else { return nil }
        self.init(type, String(text[text.index(after: colon)...]))
    }
}

/// The privileges of each declared principal on one securable.
public struct GrantsSpec: Sendable, Hashable {
    public var securable: Securable
    /// Principal → privileges.
    public var grants: [String: Set<String>]
    /// The manifest is authoritative: privileges of undeclared principals are revoked.
    public var exclusive: Bool

    public init(securable: Securable, grants: [String: Set<String>], exclusive: Bool = false) {
        self.securable = securable
        self.grants = grants
        self.exclusive = exclusive
    }

    public static func resourceID(for securable: Securable) -> ResourceID { ResourceID(.grants, securable.description) }
}

/// The targeting operators flagd evaluates: JsonLogic's and flagd's own. A rule
/// naming any other is refused at validate time, so what validates also evaluates.
public enum TargetingOperators {
    public static let jsonLogic: Set<String> = [
        "if", "?:", "and", "or", "!", "!!", "==", "!=", "===", "!==", "<", "<=", ">", ">=",
        "+", "-", "*", "/", "%", "min", "max", "var", "missing", "missing_some",
        "map", "filter", "reduce", "all", "some", "none", "merge", "in", "cat", "substr",
    ]
    public static let flagd: Set<String> = ["fractional", "starts_with", "ends_with", "sem_ver"]
    public static var all: Set<String> { jsonLogic.union(flagd) }
}

/// A flag in flagd's model.
public struct FlagSpec: Sendable, Hashable {
    public enum State: String, Sendable, Hashable, CaseIterable {
        case enabled = "ENABLED", disabled = "DISABLED"
    }

    public var state: State
    public var variants: [String: Value]
    public var defaultVariant: String
    /// JsonLogic that returns a variant name (flagd's operators included).
    public var targeting: Value?
    public var metadata: [String: Value]

    public init(state: State = .enabled, variants: [String: Value], defaultVariant: String, targeting: Value? = nil, metadata: [String: Value] = [:]) {
        self.state = state
        self.variants = variants
        self.defaultVariant = defaultVariant
        self.targeting = targeting
        self.metadata = metadata
    }
}

/// A registered model with its versions and aliases.
public struct ModelSpec: Sendable, Hashable {
    public var description: String?
    public var tags: [String: String]
    public var versions: [Int: ModelVersion]
    /// Alias → version number.
    public var aliases: [String: Int]

    public init(description: String? = nil, tags: [String: String] = [:], versions: [Int: ModelVersion] = [:], aliases: [String: Int] = [:]) {
        self.description = description
        self.tags = tags
        self.versions = versions
        self.aliases = aliases
    }
}

public struct ModelVersion: Sendable, Hashable {
    public var version: Int
    /// Where the model's files are: a URI (`s3://…`, `runs:/<run>/model`, `models:/…`).
    public var source: String
    public var runId: String?
    public var description: String?
    public var tags: [String: String]

    public init(version: Int, source: String, runId: String? = nil, description: String? = nil, tags: [String: String] = [:]) {
        self.version = version
        self.source = source
        self.runId = runId
        self.description = description
        self.tags = tags
    }
}

/// A SQL user-defined function (`CREATE FUNCTION … RETURNS … RETURN body`): what
/// column masks and row filters call.
public struct FunctionSpec: Sendable, Hashable {
    public struct Parameter: Sendable, Hashable {
        public var name: String
        public var type: DataType

        public init(name: String, type: DataType) {
            self.name = name
            self.type = type
        }
    }

    public var parameters: [Parameter]
    public var returns: DataType
    /// The SQL expression after `RETURN`.
    public var body: String
    public var comment: String?

    public init(parameters: [Parameter], returns: DataType, body: String, comment: String? = nil) {
        self.parameters = parameters
        self.returns = returns
        self.body = body
        self.comment = comment
    }
}

/// `columns[].mask`: the column is read through `function`, given the column and `using`.
public struct ColumnMask: Sendable, Hashable {
    public var function: String
    public var using: [String]

    public init(function: String, using: [String] = []) {
        self.function = function
        self.using = using
    }
}

/// `rowFilter`: only rows for which `function(on…)` is true are read.
public struct RowFilter: Sendable, Hashable {
    public var function: String
    public var on: [String]

    public init(function: String, on: [String] = []) {
        self.function = function
        self.on = on
    }
}
