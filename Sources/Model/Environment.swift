/// A named deployment: where its resources live, its variables and its policy.
public struct Environment: Sendable, Hashable {
    public var name: String
    public var target: TargetSpec
    public var variables: [String: String]
    public var policy: Policy
    public var origin: SourceLocation?

    public init(name: String, target: TargetSpec, variables: [String: String] = [:], policy: Policy = Policy(), origin: SourceLocation? = nil) {
        self.name = name
        self.target = target
        self.variables = variables
        self.policy = policy
        self.origin = origin
    }
}

/// Where an environment's resources live.
public enum TargetSpec: Sendable, Hashable {
    /// The embedded lakehouse in a directory (relative paths resolve against the
    /// current directory).
    case local(path: String)

    public var typeName: String {
        switch self {
        case .local: return "local"
        }
    }
}

/// What an environment lets an apply do.
public struct Policy: Sendable, Hashable {
    public enum Destructive: String, Sendable, Hashable, CaseIterable {
        case allow, deny
    }

    public var destructive: Destructive
    /// Delete resources this environment created whose manifests are gone.
    public var prune: Bool
    /// Allow `apply --worktree` (uncommitted manifests); off by default.
    public var allowWorktree: Bool

    public init(destructive: Destructive = .allow, prune: Bool = true, allowWorktree: Bool = false) {
        self.destructive = destructive
        self.prune = prune
        self.allowWorktree = allowWorktree
    }
}
