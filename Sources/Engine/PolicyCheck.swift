import Model

/// Marks the changes an environment's policy refuses. Pure: a plan in, a plan out.
public enum PolicyCheck {
    public struct Options: Sendable {
        public var allowDestructive: Bool
        public var allowEmpty: Bool
        /// Apply changes whose data checks could not be decided (never ones that fail).
        public var allowUnverified: Bool

        /// `preview destroy`: deletes everything the preview's inventory holds, protected
        /// or not (a preview adopts nothing, so all of it is the preview's own).
        public var destroysPreview = false

        public init(allowDestructive: Bool = false, allowEmpty: Bool = false, allowUnverified: Bool = false) {
            self.allowDestructive = allowDestructive
            self.allowEmpty = allowEmpty
            self.allowUnverified = allowUnverified
        }

        /// What `preview destroy` plans with.
        public static var destroyingPreview: Options {
            var options = Options(allowDestructive: true, allowEmpty: true)
            options.destroysPreview = true
            return options
        }
    }

    public static func evaluate(_ plan: Plan, policy: Policy, desired: [Resource], inventory: Inventory, options: Options) -> Plan {
        var plan = plan
        let emptied = emptiedKinds(plan, desired: desired, inventory: inventory)
        for index in plan.changes.indices {
            let change = plan.changes[index]
            // Adoption never replaces, whatever the overrides.
            if change.refusal == .adoptionReplaces { continue }
            if change.adopts && !policy.adopts {
                plan.changes[index].refusal = .adoptionDenied
                continue
            }
            if options.destroysPreview && policy.adopts == false && change.action == .delete { continue }
            let protected = change.desired?.isProtected == true || inventory.entries[change.id]?.protected == true
            if protected && (change.action == .delete || change.action == .replace) {
                plan.changes[index].refusal = .protected(declared: change.desired?.isProtected == true)
            } else if change.action == .delete && emptied.contains(change.id.kind) && !options.allowEmpty {
                plan.changes[index].refusal = .deletesEveryOfKind(change.id.kind)
            } else if change.isDestructive && policy.destructive == .deny && !options.allowDestructive {
                plan.changes[index].refusal = .destructiveDenied
            } else if let blocking = change.dataChecks.first(where: { !$0.permits(allowingUnverified: options.allowUnverified) }) {
                // Unchecked or violated, whatever the overrides; undecided unless --allow-unverified.
                if case .unverifiable? = blocking.evidence?.verdict {
                    plan.changes[index].refusal = .dataUnverified(blocking)
                } else {
                    plan.changes[index].refusal = .dataViolates(blocking)
                }
            }
        }
        return plan
    }

    /// Kinds of which the plan deletes every resource the environment manages while
    /// no manifest declares one: most often a wrong revision or a moved directory.
    static func emptiedKinds(_ plan: Plan, desired: [Resource], inventory: Inventory) -> Set<ResourceKind> {
        var kinds: Set<ResourceKind> = []
        let declared = Set(desired.map(\.id.kind))
        for kind in ResourceKind.allCases where !declared.contains(kind) {
            let deleted = Set(plan.changes.filter { $0.action == .delete && $0.id.kind == kind }.map(\.id))
            let managed = inventory.resources.filter { $0.kind == kind }
            if !deleted.isEmpty && managed.isSubset(of: deleted) { kinds.insert(kind) }
        }
        return kinds
    }
}

/// Checks that everything a resource depends on (its namespaces, a pipeline's
/// tables, the securable of grants) is declared, or present in the target and not
/// about to be pruned.
public enum ReferenceCheck {
    public static func diagnostics(desired: [Resource], observed: [ResourceID], inventory: Inventory = Inventory(environment: "")) -> [Diagnostic] {
        // Declared, or present and staying (what this environment owns and no longer
        // declares is pruned, so it cannot be depended on).
        var known = Set<ResourceID>(minimumCapacity: desired.count + observed.count)
        for resource in desired { known.insert(resource.id) }
        for id in observed where !inventory.contains(id) { known.insert(id) }
        var diagnostics: [Diagnostic] = []
        for resource in desired {
            for dependency in resource.dependencies where !known.contains(dependency) {
                let noun = dependency.kind.rawValue.lowercased()
                diagnostics.append(.error(at: resource.origin,
                    "\(resource.id): its \(noun) \"\(dependency.name)\" is neither declared nor present in the target; add a \(dependency.kind.rawValue) manifest named \"\(dependency.name)\""))
                break
            }
        }
        return diagnostics
    }
}
