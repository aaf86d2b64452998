import Model

/// Compares desired and observed resources and orders the changes. Pure.
public enum Planner {
    public struct Input: Sendable {
        public var environment: String
        public var revision: String
        public var target: String
        public var desired: [Resource]
        public var observed: [Resource]
        public var inventory: Inventory
        public var prune: Bool
        /// What the target changes on a table in place.
        public var inPlace: InPlaceChanges

        public init(environment: String, revision: String, target: String, desired: [Resource], observed: [Resource], inventory: Inventory, prune: Bool,
                    inPlace: InPlaceChanges = .delta) {
            self.inPlace = inPlace
            self.environment = environment
            self.revision = revision
            self.target = target
            self.desired = desired
            self.observed = observed
            self.inventory = inventory
            self.prune = prune
        }
    }

    public static func plan(_ input: Input) -> Plan {
        // Positions, not copies: a resource is a large value.
        var observed: [ResourceID: Int] = [:]
        observed.reserveCapacity(input.observed.count)
        for (index, resource) in input.observed.enumerated() where observed[resource.id] == nil { observed[resource.id] = index }
        let desiredIDs = Set(input.desired.map(\.id))
        var forward: [Change] = []
        var unchanged: [ResourceID] = []
        var notices: [Notice] = []

        for resource in input.desired {
            guard let index = observed[resource.id] else {
                forward.append(Change(id: resource.id, action: .create, observed: nil, desired: resource,
                                      fields: creationFields(resource.spec) + protectionFields(resource, wasProtected: false),
                                      reasons: ["\(resource.id) does not exist in the target"]))
                continue
            }
            let current = input.observed[index]
            if case .grants(let grants) = resource.spec, case .grants(let existing) = current.spec, !grants.exclusive {
                for principal in existing.grants.keys.sorted() where grants.grants[principal] == nil {
                    notices.append(Notice(resource.id, .foreignGrant(principal: principal, privileges: existing.grants[principal]!.sorted(), securable: grants.securable.description)))
                }
            }
            let entry = input.inventory.entries[resource.id]
            let wasProtected = entry?.protected ?? false
            if entry == nil {
                forward.append(adoption(observed: current, desired: resource, inPlace: input.inPlace))
                notices += forward.last.map(featuresEnabled(by:)) ?? []
            } else if var change = compare(observed: current, desired: resource, inPlace: input.inPlace) {
                notices += featuresEnabled(by: change)
                change.fields += protectionFields(resource, wasProtected: wasProtected)
                forward.append(change)
            } else if wasProtected != resource.isProtected {
                forward.append(Change(id: resource.id, action: .update, observed: current, desired: resource,
                                      fields: protectionFields(resource, wasProtected: wasProtected),
                                      reasons: ["its protection changes; only the inventory is updated"]))
            } else {
                unchanged.append(resource.id)
            }
        }

        let (deletes, orphaned, unmanaged) = prune(input, observed: observed, desiredIDs: desiredIDs)

        let ordered = Ordering.forward(forward, all: input.desired) + Ordering.reverse(deletes, all: input.observed)
        return Plan(environment: input.environment, revision: input.revision, target: input.target,
                    changes: ordered, unchanged: unchanged.sorted(), unmanaged: unmanaged, orphaned: orphaned, notices: notices)
    }

    /// Deletes: only what this environment created, only when pruning, and never
    /// something a resource that stays depends on; the rest is orphaned or unmanaged.
    static func prune(_ input: Input, observed: [ResourceID: Int], desiredIDs: Set<ResourceID>) -> (deletes: [Change], orphaned: [ResourceID], unmanaged: [ResourceID]) {
        var deletes: [Change] = []
        var orphaned: [ResourceID] = []
        var unmanaged: [ResourceID] = []
        let leaving = Set(input.observed.map(\.id)).subtracting(desiredIDs)
        let deletable = input.prune ? leaving.filter { input.inventory.contains($0) } : []
        for id in leaving.sorted() {
            guard let entry = input.inventory.entries[id] else { unmanaged.append(id); continue }
            // Decided on the state after the plan: a resource that stays keeps what its
            // manifest depends on (not what it depended on before this change), and one
            // that stays unmanaged keeps what it depends on now.
            let keeps = input.desired.contains { $0.dependencies.contains(id) }
                || input.observed.contains { !desiredIDs.contains($0.id) && !deletable.contains($0.id) && $0.dependencies.contains(id) }
            guard input.prune, !keeps, let index = observed[id] else { orphaned.append(id); continue }
            var current = input.observed[index]
            // Grants: revoke only what this environment granted.
            if case .grants(var grants) = current.spec, let principals = entry.principals {
                grants.grants = grants.grants.filter { principals.contains($0.key) }
                current.spec = .grants(grants)
            }
            deletes.append(Change(
                id: id, action: .delete, observed: current, desired: nil,
                reasons: ["its manifest is gone and this environment created it"],
                destructiveReasons: [deleteReason(current)]))
        }
        return (deletes, orphaned, unmanaged)
    }

    /// The change that turns `observed` into `desired`, or nil when they match.
    /// Fields under the desired resource's `reconcile/ignore` pointers are left out.
    /// A field the target cannot change in place makes the change a replace; every
    /// field's destructive reason is the change's.
    public static func compare(observed: Resource, desired: Resource, inPlace: InPlaceChanges = .delta) -> Change? {
        // Most resources match exactly: one equality test instead of a field-by-field walk.
        if observed.spec == desired.spec { return nil }
        let ignored = desired.ignoredFields
        let fields = fieldChanges(observed: observed, desired: desired, inPlace: inPlace).filter { field in !ignored.contains { field.isUnder($0) } }
        guard !fields.isEmpty else { return nil }
        var destructive: [DestructiveReason] = []
        for reason in fields.compactMap(\.destructiveReason) where !destructive.contains(reason) { destructive.append(reason) }
        let replace = fields.contains(where: \.forcesReplace)
        let reason: String
        switch (desired.id.kind, replace) {
        case (.table, true):
            let data = observed.observation?.hasData == true ? "its data" : "its current files (history keeps them)"
            reason = "Delta cannot make this change in place, so the table is replaced, dropping \(data)"
        case (.pipeline, true): reason = "a pipeline cannot move to another catalog or schema in place"
        case (_, true): reason = "the target cannot make this change in place"
        case (.grants, false): reason = "the declared privileges differ from those granted"
        case (_, false): reason = "the manifest differs from what exists"
        }
        var change = Change(id: desired.id, action: replace ? .replace : .update, observed: observed, desired: desired,
                            fields: fields, reasons: [reason], destructiveReasons: destructive)
        if !replace, observed.observation?.hasData == true { change.dataChecks = dataChecks(fields, desired: desired) }
        return change
    }

    /// What an in-place change to a table with rows requires of them: a column made
    /// NOT NULL has no nulls, a CHECK constraint added or changed holds for every row.
    static func dataChecks(_ fields: [FieldChange], desired: Resource) -> [CheckedData] {
        guard case .table(let spec) = desired.spec else { return [] }
        var checks: [CheckedData] = []
        for field in fields {
            let segments = field.segments
            if segments.count == 3, segments[0] == "columns", segments[2] == "nullable", field.after == .bool(false) {
                checks.append(CheckedData(.notNull(column: segments[1])))
            }
            if segments.count == 2, segments[0] == "constraints", field.op != .remove, let expression = spec.constraints[segments[1]] {
                checks.append(CheckedData(.constraint(name: segments[1], expression: expression)))
            }
        }
        return checks
    }

    /// Field by field, what differs, by kind (the observed resource has the desired
    /// one's kind: they share an id).
    static func fieldChanges(observed: Resource, desired: Resource, inPlace: InPlaceChanges) -> [FieldChange] {
        switch desired.spec {
        case .table(let new):
            guard case .table(let old) = observed.spec else { break }
            return TableDiff(observed: old, desired: new, hasData: observed.observation?.hasData ?? false, inPlace: inPlace).fields
        case .grants(let new):
            guard case .grants(let old) = observed.spec else { break }
            return GrantsDiff.fields(old: old, new: new)
        case .pipeline(let new):
            guard case .pipeline(let old) = observed.spec else { break }
            let moved = DestructiveReason.pipelineMoves(desired.id, from: "\(old.catalog).\(old.target)", to: "\(new.catalog).\(new.target)")
            return ValueDiff.diff(old.canonical, new.canonical).map { field in
                var field = field
                if field.path == "/catalog" || field.path == "/target" {
                    field.destructiveReason = moved
                    field.forcesReplace = true
                }
                return field
            }
        case .model(let new):
            guard case .model(let old) = observed.spec else { break }
            return ModelDiff.fields(old: old, new: new)
        case .catalog(let new), .schema(let new):
            var old: NamespaceSpec
            if case .catalog(let spec) = observed.spec { old = spec } else if case .schema(let spec) = observed.spec { old = spec } else { break }
            // An owner the manifest does not declare is the workspace's to choose.
            if new.owner == nil { old.owner = nil }
            // Tags a manifest does not declare are not managed; declared ones are the whole set.
            if new.tags == nil { old.tags = nil } else if old.tags == nil { old.tags = [:] }
            return ValueDiff.diff(old.canonical, new.canonical)
        case .featureFlag, .function:
            // A function is replaced whole (CREATE OR REPLACE FUNCTION), in place: no data goes.
            break
        }
        return ValueDiff.diff(observed.spec.canonical, desired.spec.canonical)
    }

    /// A declared resource that exists but is not in the inventory: adopted, with the
    /// differences made in place. One that only a replace would match is refused.
    static func adoption(observed: Resource, desired: Resource, inPlace: InPlaceChanges) -> Change {
        var change = compare(observed: observed, desired: desired, inPlace: inPlace)
            ?? Change(id: desired.id, action: .update, observed: observed, desired: desired, fields: [])
        change.adopts = true
        change.fields += protectionFields(desired, wasProtected: false)
        change.reasons = ["\(desired.id) exists but this environment did not create it: applying adopts it (records it in the inventory)"]
            + (change.fields.isEmpty ? [] : ["and makes the differences below"])
        if change.action == .replace { change.refusal = .adoptionReplaces }
        return change
    }

    /// The Delta table features an in-place table change turns on (each raises the reader version).
    static func featuresEnabled(by change: Change) -> [Notice] {
        guard change.id.kind == .table, change.action == .update else { return [] }
        let enabling: [(String, Notice.TableFeature)] = [(DeltaProperties.columnMapping, .columnMapping), (DeltaProperties.typeWidening, .typeWidening)]
        return enabling.compactMap { property, feature in
            change.fields.contains { $0.path == FieldChange.pointer(["properties", property]) && $0.op == .add } ? Notice(change.id, .tableFeatureEnabled(feature)) : nil
        }
    }

    /// A field for a change of protection, so the plan shows it and the inventory records it.
    static func protectionFields(_ resource: Resource, wasProtected: Bool) -> [FieldChange] {
        guard resource.isProtected != wasProtected else { return [] }
        let path = FieldChange.pointer(["metadata", "annotations", Resource.protectAnnotation])
        return [resource.isProtected
            ? FieldChange(op: .add, path: path, before: nil, after: .string("true"))
            : FieldChange(op: .remove, path: path, before: .string("true"), after: nil)]
    }

    /// What a create sets, field by field, so a plan shows the new resource whole.
    static func creationFields(_ spec: ResourceSpec) -> [FieldChange] {
        guard case .table(let table) = spec else {
            return ValueDiff.diff(.object([:]), spec.canonical).filter { $0.after != .object([:]) && $0.after != .array([]) }
        }
        var fields: [FieldChange] = []
        if let comment = table.comment {
            fields.append(FieldChange(op: .add, path: "/comment", before: nil, after: .string(comment)))
        }
        fields += table.columns.map {
            FieldChange(op: .add, path: FieldChange.pointer(["columns", $0.name]), before: nil, after: $0.canonical)
        }
        if !table.partitionedBy.isEmpty {
            fields.append(FieldChange(op: .add, path: "/partitionedBy", before: nil, after: .array(table.partitionedBy.map(Value.string))))
        }
        if !table.clusterBy.isEmpty {
            fields.append(FieldChange(op: .add, path: "/clusterBy", before: nil, after: .array(table.clusterBy.map(Value.string))))
        }
        fields += ValueDiff.diff(.object([:]), .strings(table.properties), at: ["properties"])
        fields += ValueDiff.diff(.object([:]), .strings(table.constraints), at: ["constraints"])
        if let location = table.location {
            fields.append(FieldChange(op: .add, path: "/location", before: nil, after: .string(location)))
        }
        if let filter = table.rowFilter {
            fields.append(FieldChange(op: .add, path: "/rowFilter", before: nil, after: TableDiff.call(filter)))
        }
        if let tags = table.tags { fields += ValueDiff.diff(.object([:]), .strings(tags), at: ["tags"]) }
        return fields
    }

    static func deleteReason(_ resource: Resource) -> DestructiveReason {
        switch resource.spec {
        case .table: return .deletes(resource.id, .table(hasData: resource.observation?.hasData == true))
        case .catalog, .schema: return .deletes(resource.id, .namespace)
        case .pipeline: return .deletes(resource.id, .runHistory)
        case .grants(let grants): return .deletes(resource.id, .privileges(grants.grants.mapValues { $0.sorted() }))
        case .featureFlag: return .deletes(resource.id, .flagEvaluations)
        case .model(let model): return .deletes(resource.id, .modelVersions(model.versions.count))
        case .function: return .deletes(resource.id, .callers)
        }
    }
}

/// Grants are compared per declared principal; undeclared principals only count
/// when the manifest is exclusive. Revoking is destructive.
enum GrantsDiff {
    static func fields(old: GrantsSpec, new: GrantsSpec) -> [FieldChange] {
        let principals = new.exclusive ? Set(old.grants.keys).union(new.grants.keys) : Set(new.grants.keys)
        var fields: [FieldChange] = []
        for principal in principals.sorted() {
            let had = old.grants[principal] ?? []
            let wants = new.grants[principal] ?? []
            for privilege in wants.subtracting(had).sorted() {
                fields.append(FieldChange(op: .add, path: FieldChange.pointer(["grants", principal, privilege]), before: nil, after: .string(privilege)))
            }
            for privilege in had.subtracting(wants).sorted() {
                fields.append(FieldChange(op: .remove, path: FieldChange.pointer(["grants", principal, privilege]), before: .string(privilege), after: nil,
                                          destructiveReason: .revokes(privilege: privilege, securable: new.securable.description, principal: principal)))
            }
        }
        return fields
    }
}

/// Deleting a model version loses it; versions are immutable, so changing one's
/// source or run re-registers it.
enum ModelDiff {
    static func fields(old: ModelSpec, new: ModelSpec) -> [FieldChange] {
        ValueDiff.diff(old.canonical, new.canonical).map { field in
            var field = field
            let segments = field.segments
            guard segments.first == "versions", segments.count >= 2, let number = Int(segments[1]) else { return field }
            if segments.count == 2 && field.op == .remove {
                field.destructiveReason = .modelVersionDeleted(number)
            } else if segments.count == 3 && (segments[2] == "source" || segments[2] == "runId") {
                field.destructiveReason = .modelVersionReplaced(number)
            }
            return field
        }
    }
}
