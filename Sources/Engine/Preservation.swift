import Model

/// A rollback keeps data unless told otherwise: every destructive change is taken
/// out of the plan and said to stay, with why. A table that would be replaced only
/// because it has columns the older revision lacks keeps those columns and gets the
/// rest of its changes in place.
public enum Preservation {
    public static func apply(_ plan: Plan) -> Plan {
        var plan = plan
        var kept: [Change] = []
        for change in plan.changes {
            guard change.isDestructive else { kept.append(change); continue }
            if change.id.kind == .table, let reduced = keepingColumns(change) {
                let dropped = change.fields.filter { $0.op == .remove && $0.segments.first == "columns" }.map { $0.segments[1] }
                for column in dropped {
                    plan.notices.append(Notice(change.id, .columnKept(column)))
                }
                if let reduced { kept.append(reduced) }
                continue
            }
            if change.id.kind == .model, change.action == .update, let reduced = keepingVersions(change) {
                let versions = change.fields.filter { $0.op == .remove && $0.segments.count == 2 && $0.segments[0] == "versions" }.map { $0.segments[1] }
                for version in versions {
                    plan.notices.append(Notice(change.id, .modelVersionKept(version)))
                }
                if let reduced { kept.append(reduced) }
                continue
            }
            plan.notices.append(Notice(change.id, .changeKept(change.action, change.destructiveReasons)))
        }
        plan.changes = kept
        return plan
    }

    /// The change with the versions it would delete kept (aliases and descriptions
    /// still move); `.some(nil)` when nothing else is left; nil when something other
    /// than a version deletion is destructive.
    static func keepingVersions(_ change: Change) -> Change?? {
        guard case .model(var desired)? = change.desired?.spec, case .model(let observed)? = change.observed?.spec else { return nil }
        let deletions = change.fields.filter { $0.op == .remove && $0.segments.count == 2 && $0.segments[0] == "versions" }
        let others = change.fields.filter { field in !deletions.contains(field) }
        guard !deletions.isEmpty, others.allSatisfy({ $0.destructiveReason == nil }) else { return nil }
        for field in deletions {
            if let number = Int(field.segments[1]), let version = observed.versions[number] { desired.versions[number] = version }
        }
        guard !others.isEmpty, var resource = change.desired else { return .some(nil) }
        resource.spec = .model(desired)
        var reduced = change
        reduced.desired = resource
        reduced.fields = others
        reduced.destructiveReasons = []
        reduced.refusal = nil // what refused it (destructiveness) is gone
        reduced.reasons = ["the manifest differs from the model; versions it no longer lists are kept"]
        return .some(reduced)
    }

    /// The change with the dropped columns kept; `.some(nil)` when nothing else is
    /// left to change; nil when something other than a dropped column is destructive.
    static func keepingColumns(_ change: Change) -> Change?? {
        guard case .table(var desired)? = change.desired?.spec, case .table(let observed)? = change.observed?.spec else { return nil }
        let drops = change.fields.filter { $0.op == .remove && $0.segments.first == "columns" && $0.segments.count == 2 }
        let renames = change.fields.contains { $0.segments.count == 3 && $0.segments[0] == "columns" && $0.segments[2] == "name" }
        // Column mapping turned on only for the drops is not needed once they are kept.
        let mappingForDrops = FieldChange.pointer(["properties", DeltaProperties.columnMapping])
        let others = change.fields.filter { field in
            !drops.contains(field) && (renames || field.path != mappingForDrops || change.desired?.table?.properties[DeltaProperties.columnMapping] != nil)
        }
        guard !drops.isEmpty, others.allSatisfy({ $0.destructiveReason == nil }) else { return nil }
        for field in drops {
            if let column = observed.column(named: field.segments[1]) { desired.columns.append(column) }
        }
        guard !others.isEmpty, var resource = change.desired else { return .some(nil) }
        resource.spec = .table(desired)
        var reduced = change
        reduced.desired = resource
        reduced.action = .update
        reduced.fields = others
        reduced.destructiveReasons = []
        reduced.refusal = nil // what refused it (destructiveness) is gone
        reduced.reasons = ["the manifest differs from the table; columns it no longer lists are kept"]
        return .some(reduced)
    }
}
