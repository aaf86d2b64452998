import Model

/// Marks the changes an environment's policy refuses. Pure: a plan in, a plan out.
public enum PolicyCheck {
    public struct Options: Sendable {
        public var allowDestructive: Bool
        public var allowEmpty: Bool

        public init(allowDestructive: Bool = false, allowEmpty: Bool = false) {
            self.allowDestructive = allowDestructive
            self.allowEmpty = allowEmpty
        }
    }

    public static func evaluate(_ plan: Plan, policy: Policy, desiredCount: Int, options: Options) -> Plan {
        var plan = plan
        let emptyPrune = desiredCount == 0 && plan.changes.contains { $0.action == .delete }
        for index in plan.changes.indices {
            let change = plan.changes[index]
            if emptyPrune && change.action == .delete && !options.allowEmpty {
                plan.changes[index].refusal = "no manifests were found, so this would delete everything this environment created; check the revision and the manifests/ directory, or pass --allow-empty"
            } else if change.isDestructive && policy.destructive == .deny && !options.allowDestructive {
                plan.changes[index].refusal = "the environment's policy is \"destructive: deny\"; pass --allow-destructive to apply it"
            }
        }
        return plan
    }
}

/// Checks that every table's schema and catalog, and every schema's catalog, is
/// either declared or present in the target.
public enum ReferenceCheck {
    public static func diagnostics(desired: [Resource], observed: [ResourceID]) -> [Diagnostic] {
        let known = Set(desired.map(\.id)).union(observed)
        var diagnostics: [Diagnostic] = []
        for resource in desired {
            for parent in resource.id.parents where !known.contains(parent) {
                diagnostics.append(.error(at: resource.origin,
                    "\(resource.id): its \(parent.kind.rawValue.lowercased()) \"\(parent.name)\" is neither declared nor present in the target; add a \(parent.kind.rawValue) manifest named \"\(parent.name)\""))
                break
            }
        }
        return diagnostics
    }
}
