import Model

/// Writes a resource as a manifest the loader reads back to the same spec: what
/// `reconcile import` commits for what exists. Pure: a resource and the
/// environment's variables in, YAML text out. Names whose parts equal a variable's
/// value are written with the variable (`${var.catalog}.silver.orders`), so the
/// manifest renders per environment like the others; every other string is quoted
/// (JSON escapes, `$${` for a literal `${`).
public struct ManifestWriter {
    /// Variable values that stand for themselves in names: value → variable.
    let names: [String: String]

    public init(variables: [String: String]) {
        var byValue: [String: [String]] = [:]
        for (name, value) in variables where !value.isEmpty && Identifier.isValid(value) { byValue[value, default: []].append(name) }
        // Only a value one variable holds is unambiguous.
        names = byValue.compactMapValues { $0.count == 1 ? $0[0] : nil }
    }

    /// The manifest for `resource`.
    public func manifest(_ resource: Resource) -> String {
        let (name, spec) = document(resource)
        var out = "apiVersion: reconcile/v1\nkind: \(resource.id.kind.rawValue)\nmetadata:\n  name: \(scalar(.string(name), name: true))\n"
        out += "spec:" + block(spec, indent: "  ") + "\n"
        return out
    }

    /// Where the manifest goes under the import directory: one file per resource.
    public static func fileName(_ id: ResourceID) -> String {
        let safe = String(id.name.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" })
        return "\(id.kind.plural.lowercased())/\(safe).yaml"
    }

    /// A name with each dot-separated part that is a variable's value written as the variable.
    func templated(_ name: String) -> String {
        name.split(separator: ".", omittingEmptySubsequences: false).map { part in
            names[String(part)].map { "${var.\($0)}" } ?? String(part).replacingOccurrences(of: "${", with: "$${")
        }.joined(separator: ".")
    }

    private func document(_ resource: Resource) -> (String, Value) {
        switch resource.spec {
        case .catalog(let spec), .schema(let spec):
            var fields: [String: Value] = [:]
            if let comment = spec.comment { fields["comment"] = .string(comment) }
            if let owner = spec.owner { fields["owner"] = .string(owner) }
            if !spec.properties.isEmpty { fields["properties"] = .strings(spec.properties) }
            if let tags = spec.tags, !tags.isEmpty { fields["tags"] = .strings(tags) }
            return (templated(resource.id.name), .object(fields))
        case .table(let spec):
            return (templated(resource.id.name), table(spec))
        case .grants(let spec):
            let grants: [Value] = spec.grants.keys.sorted().map { principal in
                .object(["principal": .string(principal), "privileges": .array(spec.grants[principal]!.sorted().map(Value.string))])
            }
            let securable: Value = .object(["type": .string(spec.securable.type.rawValue), "name": .name(templated(spec.securable.name))])
            let label = "\(spec.securable.type.rawValue)-\(spec.securable.name)".map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "-" }
            var fields: [String: Value] = ["securable": securable, "grants": .array(grants)]
            if spec.exclusive { fields["exclusive"] = .bool(true) }
            return (String(label), .object(fields))
        case .featureFlag(let spec):
            var fields: [String: Value] = ["state": .string(spec.state.rawValue), "variants": .object(spec.variants), "defaultVariant": .string(spec.defaultVariant)]
            if let targeting = spec.targeting { fields["targeting"] = targeting }
            if !spec.metadata.isEmpty { fields["metadata"] = .object(spec.metadata) }
            return (resource.id.name, .object(fields))
        case .pipeline(let spec):
            var fields: [String: Value] = [
                "catalog": .name(templated(spec.catalog)), "target": .string(spec.target), "libraries": .array(spec.libraries.map(Value.string)),
                "continuous": .bool(spec.continuous), "development": .bool(spec.development),
                "consumes": .array(spec.consumes.map { .name(templated($0)) }), "produces": .array(spec.produces.map { .name(templated($0)) }),
            ]
            if !spec.configuration.isEmpty { fields["configuration"] = .strings(spec.configuration) }
            if let schedule = spec.schedule { fields["schedule"] = .object(["cron": .string(schedule.cron), "timezone": .string(schedule.timezone)]) }
            return (resource.id.name, .object(fields))
        case .function(let spec):
            var fields: [String: Value] = [
                "parameters": .array(spec.parameters.map { .object(["name": .string($0.name), "type": .string($0.type.description)]) }),
                "returns": .string(spec.returns.description), "body": .string(spec.body),
            ]
            if let comment = spec.comment { fields["comment"] = .string(comment) }
            return (templated(resource.id.name), .object(fields))
        case .model(let spec):
            var fields: [String: Value] = ["versions": .array(spec.versions.keys.sorted().map { number in
                let version = spec.versions[number]!
                var entry: [String: Value] = ["version": .int(number), "source": .string(version.source)]
                if let run = version.runId { entry["runId"] = .string(run) }
                if let description = version.description { entry["description"] = .string(description) }
                if !version.tags.isEmpty { entry["tags"] = .strings(version.tags) }
                return .object(entry)
            })]
            if let description = spec.description { fields["description"] = .string(description) }
            if !spec.tags.isEmpty { fields["tags"] = .strings(spec.tags) }
            if !spec.aliases.isEmpty { fields["aliases"] = .object(spec.aliases.mapValues { .int($0) }) }
            return (templated(resource.id.name), .object(fields))
        }
    }

    private func table(_ spec: TableSpec) -> Value {
        var fields: [String: Value] = ["columns": .array(spec.columns.map { column in
            var entry: [String: Value] = ["name": .string(column.name), "type": .string(column.type.description)]
            if !column.nullable { entry["nullable"] = .bool(false) }
            if let comment = column.comment { entry["comment"] = .string(comment) }
            if let tags = column.tags, !tags.isEmpty { entry["tags"] = .strings(tags) }
            if let mask = column.mask { entry["mask"] = .object(["function": .name(templated(mask.function)), "using": .array(mask.using.map(Value.string))]) }
            return .object(entry)
        })]
        if let comment = spec.comment { fields["comment"] = .string(comment) }
        if !spec.partitionedBy.isEmpty { fields["partitionedBy"] = .array(spec.partitionedBy.map(Value.string)) }
        if !spec.clusterBy.isEmpty { fields["clusterBy"] = .array(spec.clusterBy.map(Value.string)) }
        // What the table's evolution set stays without being declared.
        let properties = spec.properties.filter { !DeltaProperties.setByEvolution.contains($0.key) }
        if !properties.isEmpty { fields["properties"] = .strings(properties) }
        if !spec.constraints.isEmpty { fields["constraints"] = .strings(spec.constraints) }
        if let location = spec.location { fields["location"] = .string(location) }
        if let tags = spec.tags, !tags.isEmpty { fields["tags"] = .strings(tags) }
        if let filter = spec.rowFilter { fields["rowFilter"] = .object(["function": .name(templated(filter.function)), "on": .array(filter.on.map(Value.string))]) }
        return .object(fields)
    }

    // MARK: YAML

    /// A value in block style under a key (the text starts after the key's colon).
    private func block(_ value: Value, indent: String) -> String {
        if value.isTemplatedName { return " " + scalar(value) }
        switch value {
        case .object(let fields) where !fields.isEmpty:
            return fields.keys.sorted().map { key in "\n\(indent)\(mappingKey(key)):" + block(fields[key]!, indent: indent + "  ") }.joined()
        case .array(let items) where !items.isEmpty:
            return items.map { item in "\n\(indent)-" + element(item, indent: indent + "  ") }.joined()
        default:
            return " " + scalar(value)
        }
    }

    /// A list item (the text starts after the dash).
    private func element(_ value: Value, indent: String) -> String {
        if value.isTemplatedName { return " " + scalar(value) }
        switch value {
        case .object(let fields) where !fields.isEmpty:
            let keys = fields.keys.sorted()
            var out = " \(mappingKey(keys[0])):" + block(fields[keys[0]]!, indent: indent + "  ")
            for key in keys.dropFirst() { out += "\n\(indent)\(mappingKey(key)):" + block(fields[key]!, indent: indent + "  ") }
            return out
        case .array(let items) where !items.isEmpty:
            return items.map { item in "\n\(indent)-" + element(item, indent: indent + "  ") }.joined()
        default:
            return " " + scalar(value)
        }
    }

    /// A scalar: JSON's spelling (a YAML subset), strings quoted with `${` escaped
    /// unless `name` (already templated).
    private func scalar(_ value: Value, name: Bool = false) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case .double(let number): return number.isFinite ? "\(number)" : "null"
        case .string(let text): return Self.quoted(name ? text : text.replacingOccurrences(of: "${", with: "$${"))
        case .array: return "[]"
        case .object(let fields) where fields.count == 1 && fields.keys.first == Value.nameMarker:
            return Self.quoted(fields.values.first?.stringValue ?? "")
        case .object: return "{}"
        }
    }

    /// A mapping key: plain when YAML reads it back as the same string, else quoted.
    private func mappingKey(_ text: String) -> String {
        let plain = text.first.map { $0.isLetter || $0 == "_" } == true
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
            && !["y", "n", "yes", "no", "on", "off", "true", "false", "null"].contains(text.lowercased())
        return plain ? text : Self.quoted(text)
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) {
                    out += String(format: "\\u%04X", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

extension Value {
    /// A key no manifest uses: marks a string that is an already-templated name.
    static let nameMarker = "\u{0}name"

    /// A name written as it is (its `${var…}` kept), not escaped.
    static func name(_ text: String) -> Value { .object([nameMarker: .string(text)]) }

    var isTemplatedName: Bool {
        if case .object(let fields) = self { return fields.count == 1 && fields.keys.first == Self.nameMarker }
        return false
    }
}
