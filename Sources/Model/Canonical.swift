/// Each resource as a `Value`, the shape diffs and JSON output address with pointers.
extension ResourceSpec {
    public var canonical: Value {
        switch self {
        case .catalog(let spec), .schema(let spec): return spec.canonical
        case .table(let spec): return spec.canonical
        }
    }
}

extension NamespaceSpec {
    public var canonical: Value {
        var fields: [String: Value] = ["properties": .strings(properties)]
        if let comment { fields["comment"] = .string(comment) }
        if let owner { fields["owner"] = .string(owner) }
        return .object(fields)
    }
}

extension Column {
    public var canonical: Value {
        var fields: [String: Value] = ["type": .string(type.description), "nullable": .bool(nullable)]
        if let comment { fields["comment"] = .string(comment) }
        return .object(fields)
    }
}

extension TableSpec {
    public var canonical: Value {
        var fields: [String: Value] = [
            "columns": .array(columns.map { column in
                var value = column.canonical
                if case .object(var object) = value { object["name"] = .string(column.name); value = .object(object) }
                return value
            }),
            "partitionedBy": .array(partitionedBy.map { .string($0) }),
            "properties": .strings(properties),
            "constraints": .strings(constraints),
        ]
        if let comment { fields["comment"] = .string(comment) }
        if let location { fields["location"] = .string(location) }
        return .object(fields)
    }
}

