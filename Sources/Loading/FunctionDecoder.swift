import Model
import YAMLSource

/// Decodes a `Function` spec: parameters with Spark SQL types, the return type, the
/// SQL body and a comment.
struct FunctionDecoder {
    let reader: MappingReader

    func decode() -> FunctionSpec? {
        var parameters: [FunctionSpec.Parameter] = []
        var complete = true
        var seen: Set<String> = []
        for (index, node) in (reader.sequence("parameters") ?? []).enumerated() {
            guard let entry = MappingReader(node, file: reader.file, item: index, of: "spec.parameters", subject: reader.subject, sink: reader.sink) else {
                complete = false
                continue
            }
            defer { entry.finish() }
            let nameNode = entry.field("name", required: true)
            let name = nameNode.flatMap { entry.stringValue($0, entry.path("name")) }
            if let name, let nameNode {
                if !Identifier.isValid(name) { entry.error(nameNode, "invalid parameter name \"\(Identifier.shown(name))\"; \(Identifier.rule)") }
                if !seen.insert(name.lowercased()).inserted { entry.error(nameNode, "duplicate parameter \"\(name)\"") }
            }
            let type = type(entry, "type")
            guard let name, let type else { complete = false; continue }
            parameters.append(FunctionSpec.Parameter(name: name, type: type))
        }
        let returns = reader.field("returns", required: true) != nil ? type(reader, "returns") : nil
        let bodyNode = reader.field("body", required: true)
        let body = bodyNode.flatMap { reader.stringValue($0, "spec.body") }?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let body, body.isEmpty, let bodyNode { reader.error(bodyNode, "spec.body is empty; write the SQL expression the function returns, like CASE WHEN is_account_group_member('hr') THEN ssn ELSE '***' END") }
        if let body, body.hasPrefix("RETURN ") || body.hasPrefix("return "), let bodyNode {
            reader.error(bodyNode, "spec.body is the expression after RETURN; leave out the RETURN keyword")
        }
        let comment = reader.string("comment")
        reader.finish()
        guard complete, let returns, let body, !body.isEmpty else { return nil }
        return FunctionSpec(parameters: parameters, returns: returns, body: body, comment: comment)
    }

    private func type(_ holder: MappingReader, _ key: String) -> DataType? {
        guard let node = holder.field(key, required: true), let text = holder.stringValue(node, holder.path(key)) else { return nil }
        do { return try holder.sink.parseType(text) } catch {
            holder.error(node, "\(holder.path(key)): invalid type \"\(text)\": \(error.message)")
            return nil
        }
    }
}

extension MappingReader {
    /// `mask: {function, using: [columns]}` or `rowFilter: {function, on: [columns]}`:
    /// the function a full name, the columns checked by the caller.
    func functionCall(_ key: String, columnsKey: String) -> (function: String, columns: [String], node: Node)? {
        guard let node = node[key], let call = MappingReader(node, file: file, fieldPath: path(key), subject: subject, sink: sink) else { return nil }
        _ = field(key)
        defer { call.finish() }
        guard let functionNode = call.field("function", required: true), let function = call.stringValue(functionNode, call.path("function")) else { return nil }
        guard Identifier.isFullName(function, parts: 3) else {
            call.error(functionNode, "\(call.path("function")): \"\(function)\" is not a function's full name \"catalog.schema.function\"")
            return nil
        }
        let columns = call.strings(columnsKey).map(\.value)
        return (function, columns, functionNode)
    }
}
