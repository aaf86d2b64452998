import Model
import YAMLSource

/// Decodes a `Grants` spec: one securable, the privileges of each principal.
struct GrantsDecoder {
    let reader: MappingReader

    func decode() -> GrantsSpec? {
        var securable: Securable?
        if let fields = reader.mapping("securable", required: true) {
            securable = decodeSecurable(fields)
        }
        var grants: [String: Set<String>] = [:]
        var seen: [String: Node] = [:]
        for (index, item) in (reader.sequence("grants", required: true) ?? []).enumerated() {
            guard let entry = MappingReader(item, file: reader.file, item: index, of: "spec.grants", subject: reader.subject, sink: reader.sink) else { continue }
            defer { entry.finish() }
            guard let principalNode = entry.field("principal", required: true),
                  let principal = entry.stringValue(principalNode, entry.path("principal")) else { continue }
            if principal.trimmingSpaces.isEmpty {
                entry.error(principalNode, "\(entry.path("principal")) is empty")
                continue
            }
            if let first = seen[principal] {
                entry.error(principalNode, "principal \"\(principal)\" is declared twice (first at line \(first.mark.line)); list all its privileges once")
                continue
            }
            seen[principal] = principalNode
            var privileges: Set<String> = []
            for (position, privilege) in entry.strings("privileges").enumerated() {
                let name = privilege.value.uppercased().replacing(" ", with: "_")
                if let securable, !securable.type.privileges.contains(name) {
                    entry.error(privilege.node, "\(entry.path("privileges"))[\(position)]: unknown privilege \"\(privilege.value)\" for a \(securable.type.rawValue)\(Suggest.hint(for: name, in: securable.type.privileges)); valid: \(securable.type.privileges.joined(separator: ", "))")
                    continue
                }
                privileges.insert(name)
            }
            if entry.node["privileges"] == nil {
                entry.error(item, "missing required field \"\(entry.path("privileges"))\" (an empty list revokes everything from this principal)")
            }
            grants[principal] = privileges
        }
        let exclusive = reader.bool("exclusive") ?? false
        reader.finish()
        guard let securable else { return nil }
        return GrantsSpec(securable: securable, grants: grants, exclusive: exclusive)
    }

    private func decodeSecurable(_ fields: MappingReader) -> Securable? {
        defer { fields.finish() }
        let typeNode = fields.field("type", required: true)
        let nameNode = fields.field("name", required: true)
        guard let typeNode, let typeName = fields.stringValue(typeNode, "spec.securable.type") else { return nil }
        guard let type = Securable.Kind(rawValue: typeName.lowercased()) else {
            let known = Securable.Kind.allCases.map(\.rawValue)
            fields.error(typeNode, "spec.securable.type \"\(typeName)\" is not a securable\(Suggest.hint(for: typeName, in: known)); use one of \(known.joined(separator: ", "))")
            return nil
        }
        guard let nameNode, let name = fields.stringValue(nameNode, "spec.securable.name") else { return nil }
        let valid: Bool
        switch type {
        case .catalog: valid = Identifier.isFullName(name, parts: 1)
        case .schema: valid = Identifier.isFullName(name, parts: 2)
        case .table, .function, .model: valid = Identifier.isFullName(name, parts: 3)
        case .pipeline: valid = Identifier.isSlug(name)
        }
        if !valid {
            fields.error(nameNode, "spec.securable.name \"\(name)\" is not the full name of a \(type.rawValue)")
            return nil
        }
        return Securable(type, name)
    }
}
