/// Each resource as a `Value`, the shape diffs and JSON output address with pointers.
extension ResourceSpec {
    public var canonical: Value {
        switch self {
        case .catalog(let spec), .schema(let spec): return spec.canonical
        case .table(let spec): return spec.canonical
        case .model(let spec): return spec.canonical
        case .pipeline(let spec): return spec.canonical
        case .grants(let spec): return spec.canonical
        case .featureFlag(let spec): return spec.canonical
        case .function(let spec): return spec.canonical
        }
    }
}

extension NamespaceSpec {
    public var canonical: Value {
        var fields: [String: Value] = ["properties": .strings(properties)]
        if let comment { fields["comment"] = .string(comment) }
        if let owner { fields["owner"] = .string(owner) }
        if let tags { fields["tags"] = .strings(tags) }
        return .object(fields)
    }
}

extension Column {
    public var canonical: Value {
        var fields: [String: Value] = ["type": .string(type.description), "nullable": .bool(nullable)]
        if let comment { fields["comment"] = .string(comment) }
        if let renamedFrom { fields["renamedFrom"] = .string(renamedFrom) }
        if let tags { fields["tags"] = .strings(tags) }
        if let mask { fields["mask"] = .object(["function": .string(mask.function), "using": .array(mask.using.map(Value.string))]) }
        return .object(fields)
    }
}

extension FunctionSpec {
    public var canonical: Value {
        var fields: [String: Value] = [
            "parameters": .array(parameters.map { .object(["name": .string($0.name), "type": .string($0.type.description)]) }),
            "returns": .string(returns.description), "body": .string(body),
        ]
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
            "clusterBy": .array(clusterBy.map { .string($0) }),
            "properties": .strings(properties),
            "constraints": .strings(constraints),
        ]
        if let comment { fields["comment"] = .string(comment) }
        if let location { fields["location"] = .string(location) }
        if let tags { fields["tags"] = .strings(tags) }
        if let rowFilter { fields["rowFilter"] = .object(["function": .string(rowFilter.function), "on": .array(rowFilter.on.map(Value.string))]) }
        return .object(fields)
    }
}


extension PipelineSpec {
    public var canonical: Value {
        var fields: [String: Value] = [
            "catalog": .string(catalog), "target": .string(target),
            "libraries": .array(libraries.map(Value.string)), "configuration": .strings(configuration),
            "continuous": .bool(continuous), "development": .bool(development),
            "produces": .array(produces.map(Value.string)), "consumes": .array(consumes.map(Value.string)),
        ]
        if let schedule { fields["schedule"] = .object(["cron": .string(schedule.cron), "timezone": .string(schedule.timezone)]) }
        return .object(fields)
    }
}

extension GrantsSpec {
    /// Principal → sorted privileges. `exclusive` is how to plan, not state, so it is left out.
    public var canonical: Value {
        .object([
            "securable": .string(securable.description),
            "grants": .object(grants.mapValues { .array($0.sorted().map(Value.string)) }),
        ])
    }
}

extension FlagSpec {
    /// The flag exactly as flagd's file format holds it.
    public var canonical: Value {
        var fields: [String: Value] = [
            "state": .string(state.rawValue), "variants": .object(variants), "defaultVariant": .string(defaultVariant),
        ]
        if let targeting { fields["targeting"] = targeting }
        if !metadata.isEmpty { fields["metadata"] = .object(metadata) }
        return .object(fields)
    }
}

extension ModelVersion {
    public var canonical: Value {
        var fields: [String: Value] = ["source": .string(source), "tags": .strings(tags)]
        if let runId { fields["runId"] = .string(runId) }
        if let description { fields["description"] = .string(description) }
        return .object(fields)
    }
}

extension ModelSpec {
    public var canonical: Value {
        var fields: [String: Value] = [
            "tags": .strings(tags),
            "versions": .object(Dictionary(uniqueKeysWithValues: versions.map { (String($0.key), $0.value.canonical) })),
            "aliases": .object(aliases.mapValues { .int($0) }),
        ]
        if let description { fields["description"] = .string(description) }
        return .object(fields)
    }
}
