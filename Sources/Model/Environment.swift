/// A named deployment: where its resources live, its variables and its policy.
public struct Environment: Sendable, Hashable {
    public var name: String
    /// The default target (`spec.target`, or `spec.targets.default`).
    public var target: TargetSpec
    /// Kinds routed elsewhere, by routing key (`models`, `flags`, …).
    public var routes: [String: TargetSpec] = [:]
    /// Where the state store lives when no target is local (`spec.state.path`).
    public var statePath: String?
    /// A PostgreSQL state store instead (`spec.state.postgres`): a reference,
    /// `${env:NAME}` or `${file:PATH}`, to its URL, resolved when the store is opened.
    public var statePostgres: String?
    public var variables: [String: String]
    public var policy: Policy
    /// Which revision of the manifests this environment runs.
    public var source: SourceSpec
    /// Where its revisions come from, and the gates on the way.
    public var promotion: Promotion?
    /// Webhook URLs the watch loop tells about drift and applies.
    public var notifications: [String] = []
    /// Where each audit entry is forwarded as it is written (`spec.audit.webhook`).
    public var auditWebhook: String?
    /// When it may be changed (`spec.windows`); none: always.
    public var windows: [ChangeWindow] = []
    public var origin: SourceLocation?

    public init(name: String, target: TargetSpec, variables: [String: String] = [:], policy: Policy = Policy(),
                source: SourceSpec = .current, promotion: Promotion? = nil, origin: SourceLocation? = nil) {
        self.name = name
        self.target = target
        self.variables = variables
        self.policy = policy
        self.source = source
        self.promotion = promotion
        self.origin = origin
    }
}

extension Environment {
    /// Keys of `spec.targets`: `default`, or a kind's plural (catalogs and schemas follow tables).
    public static let routingKeys = ["default", "tables", "functions", "pipelines", "grants", "flags", "models"]

    /// Where resources of `kind` live.
    public func target(for kind: ResourceKind) -> TargetSpec {
        routes[kind.routingKey] ?? target
    }

    /// Every distinct target, the default first.
    public var allTargets: [TargetSpec] {
        var result = [target]
        for key in Self.routingKeys.dropFirst() {
            if let spec = routes[key], !result.contains(spec) { result.append(spec) }
        }
        return result
    }
}


/// The revision an environment's manifests are read at.
public enum SourceSpec: Sendable, Hashable {
    /// The revision reconcile runs on (`--revision`, default HEAD).
    case current
    /// The tip of a branch.
    case branch(String)
    /// A pinned commit, moved by promote and rollback.
    case revision(String)
}

/// `spec.promotion`: the environment a revision must pass through first, and how long
/// it must have run there.
public struct Promotion: Sendable, Hashable {
    public enum Gate: String, Sendable, Hashable, CaseIterable {
        case applied, noDrift = "no-drift"
    }

    public var from: String
    /// Seconds since the source environment's apply.
    public var soak: Double
    public var requires: Set<Gate>

    public init(from: String, soak: Double = 0, requires: Set<Gate> = Set(Gate.allCases)) {
        self.from = from
        self.soak = soak
        self.requires = requires
    }

    /// Parses `90s`, `10m`, `1h`, `2d`, `1h30m`.
    public static func duration(_ text: String) -> Double? {
        var total = 0.0
        var number = ""
        var sawUnit = false
        for character in text.trimmingSpaces {
            if character.isNumber || character == "." {
                number.append(character)
                continue
            }
            guard let value = Double(number) else { return nil }
            switch character {
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            case "d": total += value * 86400
            default: return nil
            }
            number = ""
            sawUnit = true
        }
        if !number.isEmpty { return number == "0" ? total : nil }
        return sawUnit ? total : nil
    }
}

extension String {
    var trimmingSpaces: Substring {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map { index(after: $0) } ?? endIndex
        return start < end ? self[start..<end] : ""
    }
}

/// Where an environment's resources live.
public enum TargetSpec: Sendable, Hashable {
    /// The embedded lakehouse in a directory (relative paths resolve against the
    /// current directory).
    case local(path: String)
    /// An MLflow tracking server's model registry (models only).
    case mlflow(url: String)
    /// A Databricks workspace: Unity Catalog over REST, DDL on a SQL warehouse,
    /// pipelines and their schedules (jobs). `files` is the workspace folder holding
    /// this repository (a Git folder), where pipeline libraries are found.
    case databricks(host: String, warehouse: String, auth: DatabricksAuth, files: String)

    public var typeName: String {
        switch self {
        case .local: return "local"
        case .mlflow: return "mlflow"
        case .databricks: return "databricks"
        }
    }

    /// The kinds this type of target can hold.
    public var supportedKinds: Set<ResourceKind>? {
        switch self {
        case .local: return nil
        case .mlflow: return [.model]
        case .databricks: return [.catalog, .schema, .table, .grants, .pipeline, .model, .function]
        }
    }
}

/// How reconcile authenticates to a Databricks workspace. Values are references
/// (`${env:NAME}`, `${file:PATH}`), resolved when a request is made and never
/// printed, logged or stored.
public enum DatabricksAuth: Sendable, Hashable {
    case token(String)
    case oauth(clientId: String, clientSecret: String)
}

/// What an environment lets an apply do.
public struct Policy: Sendable, Hashable {
    public enum Destructive: String, Sendable, Hashable, CaseIterable {
        case allow, deny
    }

    public enum Drift: String, Sendable, Hashable, CaseIterable {
        case report, heal
    }

    /// `deny` unless the environment file says `allow`: changes that lose data need
    /// `--allow-destructive` by default.
    public var destructive: Destructive
    /// Delete resources this environment created whose manifests are gone.
    public var prune: Bool
    /// Allow `apply --worktree` (uncommitted manifests); off by default.
    public var allowWorktree: Bool
    /// What the watch loop does with drift.
    public var drift: Drift
    /// Whether the watch loop applies new revisions by itself.
    public var autoSync: Bool
    /// Whether `apply` asks on the terminal before changing anything (`--yes` skips it;
    /// without a terminal it refuses unless `--yes`).
    public var confirm = false
    /// Whether a declared resource that exists but was not created here may be adopted.
    /// Only previews say no: they manage what they create and nothing else.
    public var adopts = true
    /// `requireSignedCommits`: the revisions applied must be signed by someone these
    /// files allow; nil: signatures are not checked.
    public var signedCommits: SignedCommits?

    public init(destructive: Destructive = .deny, prune: Bool = true, allowWorktree: Bool = false, drift: Drift = .report, autoSync: Bool = false) {
        self.destructive = destructive
        self.prune = prune
        self.allowWorktree = allowWorktree
        self.drift = drift
        self.autoSync = autoSync
    }
}

/// Where a local lakehouse or a state store may live.
public enum SafePath {
    /// `path` made absolute against `base` (the project directory), with `.` and `..`
    /// resolved lexically and no trailing slash.
    public static func absolute(_ path: String, base: String) -> String {
        let joined = path.hasPrefix("/") ? path : base + "/" + path
        var parts: [Substring] = []
        for part in joined.split(separator: "/") {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Directories no lakehouse root may be, nor lie under.
    static let systemTrees = ["/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/sbin", "/sys", "/usr"]
    /// Directories a lakehouse root may lie under but not be.
    static let systemDirectories = ["/", "/home", "/media", "/mnt", "/opt", "/root", "/run", "/srv", "/tmp", "/var", "/var/lib", "/var/tmp"]

    /// Why `absolute` (already made absolute) cannot be a directory reconcile writes
    /// into as its own, or nil when it can.
    public static func refusal(_ absolute: String) -> String? {
        if systemDirectories.contains(absolute) {
            return absolute == "/" ? "it is the file system's root" : "it is the system directory \(absolute)"
        }
        if let tree = systemTrees.first(where: { absolute == $0 || absolute.hasPrefix($0 + "/") }) {
            return "it lies in the system directory \(tree)"
        }
        return nil
    }
}

/// Who may sign the revisions an environment applies: an SSH allowed-signers file
/// (`ssh-keygen -Y verify`'s format) and/or a GPG keyring. Paths are files on the
/// machine that runs reconcile, outside the repository (a commit could otherwise
/// allow its own key).
public struct SignedCommits: Sendable, Hashable {
    public var allowedSigners: String?
    public var gpgKeyring: String?

    public init(allowedSigners: String? = nil, gpgKeyring: String? = nil) {
        self.allowedSigners = allowedSigners
        self.gpgKeyring = gpgKeyring
    }
}
