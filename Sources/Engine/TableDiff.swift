import Model

/// How a Delta table must change to match its manifest, and whether Delta can do it
/// in place. Changes Delta cannot make in place (narrowing or incompatible type
/// change, partition change, dropping a column without column mapping) force a
/// replace, which is destructive.
struct TableDiff {
    var fields: [FieldChange] = []

    init(observed: TableSpec, desired: TableSpec, hasData: Bool, inPlace: InPlaceChanges) {
        if observed.comment != desired.comment {
            fields += ValueDiff.diff(observed.comment.map(Value.string), desired.comment.map(Value.string), at: ["comment"])
        }
        diffColumns(observed: observed, desired: desired, hasData: hasData, inPlace: inPlace)
        if observed.partitionedBy.map({ $0.lowercased() }) != desired.partitionedBy.map({ $0.lowercased() }) {
            let reason = DestructiveReason.partitioningChanges(from: observed.partitionedBy, to: desired.partitionedBy)
            fields.append(FieldChange(op: .change, path: "/partitionedBy",
                                      before: .array(observed.partitionedBy.map(Value.string)),
                                      after: .array(desired.partitionedBy.map(Value.string)), destructiveReason: reason, forcesReplace: true))
        }
        if observed.clusterBy.map({ $0.lowercased() }) != desired.clusterBy.map({ $0.lowercased() }) {
            // Clustering keys change in place: new files are clustered by the new keys.
            fields.append(FieldChange(op: .change, path: "/clusterBy",
                                      before: .array(observed.clusterBy.map(Value.string)),
                                      after: .array(desired.clusterBy.map(Value.string))))
        }
        if observed.location != desired.location {
            let reason = DestructiveReason.locationChanges(from: observed.location, to: desired.location)
            fields += ValueDiff.diff(observed.location.map(Value.string), desired.location.map(Value.string), at: ["location"])
                .map { var change = $0; change.destructiveReason = reason; change.forcesReplace = true; return change }
        }
        fields += ValueDiff.diff(.strings(observed.properties), .strings(desired.properties), at: ["properties"])
        fields += ValueDiff.diff(.strings(observed.constraints), .strings(desired.constraints), at: ["constraints"])
    }

    private mutating func diffColumns(observed: TableSpec, desired: TableSpec, hasData: Bool, inPlace: InPlaceChanges) {
        for column in desired.columns {
            let path = ["columns", column.name]
            guard let old = observed.column(named: column.name) else {
                var change = FieldChange(op: .add, path: FieldChange.pointer(path), before: nil, after: column.canonical)
                if !column.nullable && hasData {
                    change.destructiveReason = .requiredColumnAdded(column: column.name)
                    change.forcesReplace = true
                }
                fields.append(change)
                continue
            }
            if old.name != column.name {
                let reason: DestructiveReason? = inPlace.columnRename ? nil : .columnRenamed(from: old.name, to: column.name)
                fields.append(FieldChange(op: .change, path: FieldChange.pointer(path + ["name"]), before: .string(old.name), after: .string(column.name),
                                          destructiveReason: reason, forcesReplace: reason != nil))
            }
            if old.type != column.type {
                var change = FieldChange(op: .change, path: FieldChange.pointer(path + ["type"]), before: .string(old.type.description), after: .string(column.type.description))
                if !inPlace.changesType(from: old.type, to: column.type) {
                    change.destructiveReason = .typeChanges(column: column.name, from: old.type, to: column.type)
                    change.forcesReplace = true
                }
                fields.append(change)
            }
            if old.nullable != column.nullable {
                var change = FieldChange(op: .change, path: FieldChange.pointer(path + ["nullable"]), before: .bool(old.nullable), after: .bool(column.nullable))
                if !column.nullable && hasData {
                    change.destructiveReason = .becomesRequired(column: column.name)
                    change.forcesReplace = true
                }
                fields.append(change)
            }
            if old.comment != column.comment {
                fields += ValueDiff.diff(old.comment.map(Value.string), column.comment.map(Value.string), at: path + ["comment"])
            }
        }
        for old in observed.columns where desired.column(named: old.name) == nil {
            // Its data goes either way; with column mapping the table stays.
            fields.append(FieldChange(op: .remove, path: FieldChange.pointer(["columns", old.name]), before: old.canonical, after: nil,
                                      destructiveReason: .columnDropped(column: old.name), forcesReplace: !inPlace.columnDrop))
        }
    }
}
