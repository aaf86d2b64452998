import Model

/// How a Delta table must change to match its manifest, and whether Delta can do it
/// in place. Changes Delta cannot make in place (narrowing or incompatible type
/// change, partition change; a rename or drop where the target has no column
/// mapping) force a replace, which is destructive.
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
        // What evolution turned on (column mapping, type widening) stays on; a manifest silent about it does not differ.
        let observedProperties = observed.properties.filter { !DeltaProperties.setByEvolution.contains($0.key) || desired.properties[$0.key] != nil }
        fields += ValueDiff.diff(.strings(observedProperties), .strings(desired.properties), at: ["properties"])
        fields += ValueDiff.diff(.strings(observed.constraints), .strings(desired.constraints), at: ["constraints"])
        if observed.rowFilter != desired.rowFilter {
            var change = FieldChange(op: desired.rowFilter == nil ? .remove : observed.rowFilter == nil ? .add : .change, path: "/rowFilter",
                                     before: observed.rowFilter.map(Self.call), after: desired.rowFilter.map(Self.call))
            if desired.rowFilter == nil { change.destructiveReason = .opensData(what: "the row filter \(observed.rowFilter!.function)") }
            fields.append(change)
        }
        // Tags are managed where the manifest declares them (an empty map removes them all).
        if let tags = desired.tags { fields += ValueDiff.diff(.strings(observed.tags ?? [:]), .strings(tags), at: ["tags"]) }
    }

    private mutating func diffColumns(observed: TableSpec, desired: TableSpec, hasData: Bool, inPlace: InPlaceChanges) {
        var renamedAway: Set<String> = []
        var mapsColumns = false
        var widensStorage = false
        for column in desired.columns {
            let path = ["columns", column.name]
            // A column found by name, or by the name it is renamedFrom when that one is gone from the manifest.
            let found = observed.column(named: column.name) ?? column.renamedFrom.flatMap { source in
                desired.column(named: source) == nil ? observed.column(named: source) : nil
            }
            guard let old = found else {
                var change = FieldChange(op: .add, path: FieldChange.pointer(path), before: nil, after: column.canonical)
                if !column.nullable && hasData {
                    change.destructiveReason = .requiredColumnAdded(column: column.name)
                    change.forcesReplace = true
                }
                fields.append(change)
                continue
            }
            if old.name != column.name {
                renamedAway.insert(old.name.lowercased())
                mapsColumns = mapsColumns || inPlace.columnRename
                let reason: DestructiveReason? = inPlace.columnRename ? nil : .columnRenamed(from: old.name, to: column.name)
                fields.append(FieldChange(op: .change, path: FieldChange.pointer(path + ["name"]), before: .string(old.name), after: .string(column.name),
                                          destructiveReason: reason, forcesReplace: reason != nil))
            }
            if old.type != column.type {
                var change = FieldChange(op: .change, path: FieldChange.pointer(path + ["type"]), before: .string(old.type.description), after: .string(column.type.description))
                if !inPlace.changesType(from: old.type, to: column.type) {
                    change.destructiveReason = .typeChanges(column: column.name, from: old.type, to: column.type)
                    change.forcesReplace = true
                } else if old.type.widensStorage(to: column.type) {
                    widensStorage = true
                }
                fields.append(change)
            }
            if old.nullable != column.nullable {
                // In place: the rows are checked for nulls before it is applied (Planner.dataChecks).
                fields.append(FieldChange(op: .change, path: FieldChange.pointer(path + ["nullable"]), before: .bool(old.nullable), after: .bool(column.nullable)))
            }
            fields += Self.governance(old, column, path)
        }
        for old in observed.columns where desired.column(named: old.name) == nil && !renamedAway.contains(old.name.lowercased()) {
            // Its data goes either way; with column mapping the table and its other columns stay.
            mapsColumns = mapsColumns || inPlace.columnDrop
            fields.append(FieldChange(op: .remove, path: FieldChange.pointer(["columns", old.name]), before: old.canonical, after: nil,
                                      destructiveReason: .columnDropped(column: old.name), forcesReplace: !inPlace.columnDrop))
        }
        // The target turns on what the change needs first; the plan shows the property (and a notice, the reader version).
        if mapsColumns { enable(DeltaProperties.columnMapping, "name", observed: observed, desired: desired) }
        if widensStorage { enable(DeltaProperties.typeWidening, "true", observed: observed, desired: desired) }
    }

    /// A column's comment, tags (where declared) and mask; removing a mask opens data.
    static func governance(_ old: Column, _ column: Column, _ path: [String]) -> [FieldChange] {
        var fields: [FieldChange] = []
        if old.comment != column.comment {
            fields += ValueDiff.diff(old.comment.map(Value.string), column.comment.map(Value.string), at: path + ["comment"])
        }
        if let tags = column.tags {
            fields += ValueDiff.diff(.strings(old.tags ?? [:]), .strings(tags), at: path + ["tags"])
        }
        if old.mask != column.mask {
            var change = FieldChange(op: column.mask == nil ? .remove : old.mask == nil ? .add : .change, path: FieldChange.pointer(path + ["mask"]),
                                     before: old.mask.map { call($0.function, $0.using) }, after: column.mask.map { call($0.function, $0.using) })
            if column.mask == nil { change.destructiveReason = .opensData(what: "the mask on column \(column.name)") }
            fields.append(change)
        }
        return fields
    }

    static func call(_ function: String, _ columns: [String]) -> Value {
        .object(["function": .string(function), "columns": .array(columns.map(Value.string))])
    }

    static func call(_ filter: RowFilter) -> Value { call(filter.function, filter.on) }

    /// The property that turns a table feature on, unless the table or its manifest has it already.
    private mutating func enable(_ property: String, _ value: String, observed: TableSpec, desired: TableSpec) {
        guard observed.properties[property] == nil, desired.properties[property] == nil else { return }
        fields.append(FieldChange(op: .add, path: FieldChange.pointer(["properties", property]), before: nil, after: .string(value)))
    }
}
