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

        public init(environment: String, revision: String, target: String, desired: [Resource], observed: [Resource], inventory: Inventory, prune: Bool) {
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
        let observed = Dictionary(input.observed.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let desiredIDs = Set(input.desired.map(\.id))
        var forward: [Change] = []
        var unchanged: [ResourceID] = []

        for resource in input.desired {
            guard let current = observed[resource.id] else {
                forward.append(Change(id: resource.id, action: .create, observed: nil, desired: resource,
                                      fields: creationFields(resource.spec),
                                      reasons: ["\(resource.id) does not exist in the target"]))
                continue
            }
            if let change = compare(observed: current, desired: resource) {
                forward.append(change)
            } else {
                unchanged.append(resource.id)
            }
        }

        // Deletes: only what this environment created, only when pruning, and never a
        // namespace that still holds something that stays.
        var deletes: [Change] = []
        var orphaned: [ResourceID] = []
        var unmanaged: [ResourceID] = []
        let leaving = Set(input.observed.map(\.id)).subtracting(desiredIDs)
        let deletable = input.prune ? leaving.filter { input.inventory.resources.contains($0) } : []
        for id in leaving.sorted() {
            guard input.inventory.resources.contains(id) else { unmanaged.append(id); continue }
            let keeps = input.observed.contains { $0.id.parents.contains(id) && !deletable.contains($0.id) }
            guard input.prune, !keeps, let current = observed[id] else { orphaned.append(id); continue }
            deletes.append(Change(
                id: id, action: .delete, observed: current, desired: nil,
                reasons: ["its manifest is gone and this environment created it"],
                destructiveReasons: [deleteReason(current)]))
        }

        forward.sort { $0.id < $1.id }
        deletes.sort { $1.id < $0.id }
        return Plan(environment: input.environment, revision: input.revision, target: input.target,
                    changes: forward + deletes, unchanged: unchanged.sorted(), unmanaged: unmanaged, orphaned: orphaned)
    }

    /// The change that turns `observed` into `desired`, or nil when they match.
    public static func compare(observed: Resource, desired: Resource) -> Change? {
        switch (observed.spec, desired.spec) {
        case let (.table(old), .table(new)):
            let diff = TableDiff(observed: old, desired: new, hasData: observed.observation?.hasData ?? false)
            guard !diff.fields.isEmpty else { return nil }
            if !diff.replaceReasons.isEmpty {
                let data = observed.observation?.hasData == true ? "its data" : "its history's current files"
                return Change(id: desired.id, action: .replace, observed: observed, desired: desired, fields: diff.fields,
                              reasons: ["Delta cannot make this change in place, so the table is replaced, dropping \(data)"],
                              destructiveReasons: diff.replaceReasons)
            }
            return Change(id: desired.id, action: .update, observed: observed, desired: desired, fields: diff.fields,
                          reasons: ["the manifest differs from the table"])
        default:
            let fields = ValueDiff.diff(observed.spec.canonical, desired.spec.canonical)
            guard !fields.isEmpty else { return nil }
            return Change(id: desired.id, action: .update, observed: observed, desired: desired, fields: fields,
                          reasons: ["the manifest differs from the target"])
        }
    }

    /// What a create sets, field by field, so a plan shows the new resource whole.
    static func creationFields(_ spec: ResourceSpec) -> [FieldChange] {
        guard case .table(let table) = spec else {
            return ValueDiff.diff(.object([:]), spec.canonical).filter { $0.after != .object([:]) }
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
        fields += ValueDiff.diff(.object([:]), .strings(table.properties), at: ["properties"])
        fields += ValueDiff.diff(.object([:]), .strings(table.constraints), at: ["constraints"])
        if let location = table.location {
            fields.append(FieldChange(op: .add, path: "/location", before: nil, after: .string(location)))
        }
        return fields
    }

    static func deleteReason(_ resource: Resource) -> String {
        switch resource.id.kind {
        case .table:
            return resource.observation?.hasData == true
                ? "deleting \(resource.id) drops the table and its data"
                : "deleting \(resource.id) drops the table"
        case .catalog, .schema:
            return "deleting \(resource.id) removes the namespace"
        }
    }
}
