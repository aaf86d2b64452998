import Model
import YAMLSource

/// Decodes and checks a `Table` spec: columns and their Spark SQL types, partition
/// columns, Delta properties and CHECK constraints.
struct TableDecoder {
    let reader: MappingReader
    var references = ReferenceCollector()
    var from = ResourceID(.table, "")

    func decode() -> TableSpec? {
        let comment = reader.string("comment")
        let columnNodes = reader.sequence("columns", required: true)
        let (columns, declaredAt) = declaredColumns(columnNodes ?? [])
        checkRenames(columns, nodes: declaredAt)
        if let columnNodes, columnNodes.isEmpty, let node = reader.node["columns"] {
            reader.error(node, "spec.columns is empty; a Delta table needs at least one column")
        }

        let partitionedBy = keyColumns("partitionedBy", role: "partition column", verb: "partition by", columns, known: columnNodes != nil)
        if partitionedBy.count == columns.count, !columns.isEmpty, let node = reader.node["partitionedBy"] {
            reader.error(node, "every column is a partition column; Delta needs at least one data column")
        }

        let clusterBy = keyColumns("clusterBy", role: "clustering column", verb: "cluster by", columns, known: columnNodes != nil)
        if clusterBy.count > 4, let node = reader.node["clusterBy"] {
            reader.error(node, "spec.clusterBy lists \(clusterBy.count) columns; Delta clusters by at most 4")
        }
        if !clusterBy.isEmpty, !partitionedBy.isEmpty, let node = reader.node["clusterBy"] {
            reader.error(node, "spec.clusterBy and spec.partitionedBy cannot both be set: Delta clusters or partitions a table, not both; keep one")
        }

        let properties = reader.sink.shared(decodeProperties())
        let constraints = reader.sink.shared(decodeConstraints())
        let location = reader.string("location")
        let tags = reader.tags()
        let rowFilter = reader.functionCall("rowFilter", columnsKey: "on").map { call in
            checkColumns(call.columns, of: columns, field: "spec.rowFilter.on", at: call.node)
            references.items.append(Reference(kind: .function, value: call.function, location: reader.location(call.node), field: "spec.rowFilter.function", from: from))
            return RowFilter(function: call.function, on: call.columns)
        }
        reader.finish()
        guard columnNodes != nil else { return nil }
        var spec = TableSpec(comment: comment, columns: columns, partitionedBy: partitionedBy, clusterBy: clusterBy,
                             properties: properties, constraints: constraints, location: location, tags: tags)
        spec.rowFilter = rowFilter
        for (index, column) in columns.enumerated() where column.mask != nil {
            checkColumns(column.mask!.using, of: columns, field: "spec.columns[\(index)].mask.using", at: reader.node)
        }
        return spec
    }

    /// The columns a mask or row filter passes exist.
    private func checkColumns(_ names: [String], of columns: [Column], field: String, at node: Node) {
        for name in names where !columns.contains(where: { $0.name.lowercased() == name.lowercased() }) {
            reader.error(node, "\(field): column \"\(name)\" is not among the columns\(Suggest.hint(for: name, in: columns.map(\.name)))")
        }
    }

    /// The columns a key list (`partitionedBy`, `clusterBy`) names: declared, distinct
    /// and primitive, each problem reported at its entry.
    private func keyColumns(_ key: String, role: String, verb: String, _ columns: [Column], known: Bool) -> [String] {
        var names: [String] = []
        for node in reader.sequence(key) ?? [] {
            guard let name = reader.stringValue(node, "spec.\(key)[]") else { continue }
            guard let column = columns.first(where: { $0.name.lowercased() == name.lowercased() }) else {
                if known { reader.error(node, "\(role) \"\(name)\" is not among the columns\(Suggest.hint(for: name, in: columns.map(\.name)))") }
                continue
            }
            if names.contains(column.name) {
                reader.error(node, "\(role) \"\(name)\" is listed twice")
                continue
            }
            switch column.type {
            case .array, .map, .struct:
                reader.error(node, "\(role) \"\(name)\" has the complex type \(column.type); \(verb) a primitive column")
            default:
                names.append(column.name)
            }
        }
        return names
    }

    /// The columns `nodes` declare, each with its node; a name declared again (names
    /// are case-insensitive) is reported and left out. A few dozen names are compared
    /// in a list (hashing each cost more); past that, an index keeps it linear.
    private func declaredColumns(_ nodes: [Node]) -> (columns: [Column], nodes: [Node]) {
        var columns: [Column] = []
        var declaredAt: [Node] = []
        var folded: [String] = []
        var index: [String: Int] = [:]
        columns.reserveCapacity(nodes.count)
        declaredAt.reserveCapacity(nodes.count)
        folded.reserveCapacity(nodes.count)
        for (position, node) in nodes.enumerated() {
            guard let column = decodeColumn(node, index: position) else { continue }
            let name = column.name.lowercased()
            if folded.count > 32, index.isEmpty { index = Dictionary(folded.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first }) }
            if let first = index.isEmpty ? folded.firstIndex(of: name) : index[name] {
                reader.error(node, "duplicate column \"\(column.name)\" (first declared at line \(declaredAt[first].mark.line)); column names are case-insensitive")
                continue
            }
            if !index.isEmpty { index[name] = folded.count }
            folded.append(name)
            declaredAt.append(node)
            columns.append(column)
        }
        return (columns, declaredAt)
    }

    /// A column is renamed from a name no other column still has, and no two from the same.
    private func checkRenames(_ columns: [Column], nodes: [Node]) {
        var sources: [String: String] = [:]
        for (column, node) in zip(columns, nodes) {
            guard let old = column.renamedFrom else { continue }
            if let kept = columns.first(where: { $0.name.lowercased() == old.lowercased() }) {
                reader.error(node, "column \"\(column.name)\" is renamedFrom \"\(old)\", but \"\(kept.name)\" is still declared; a rename leaves one column, so remove one of them")
            } else if let other = sources[old.lowercased()] {
                reader.error(node, "columns \"\(other)\" and \"\(column.name)\" are both renamedFrom \"\(old)\"; one column can be renamed to one name")
            }
            sources[old.lowercased()] = column.name
        }
    }

    /// The fields of a column, in the order `decodeColumn` reads them.
    static let columnFields = ["name", "type", "nullable", "comment", "renamedFrom", "tags", "mask"]

    private func decodeColumn(_ node: Node, index: Int) -> Column? {
        guard let fields = MappingReader(node, file: reader.file, item: index, of: "spec.columns", subject: reader.subject, sink: reader.sink, fields: Self.columnFields) else {
            return nil
        }
        defer { fields.finish() }
        let nameNode = fields.field("name", required: true)
        let name = nameNode.flatMap { fields.stringValue($0, fields.path("name")) }
        if let name, let nameNode, !Identifier.isValid(name) {
            fields.error(nameNode, "invalid column name \"\(Identifier.shown(name))\"; \(Identifier.rule)")
        }
        let typeNode = fields.field("type", required: true)
        var type: DataType?
        if let typeNode, let text = fields.stringValue(typeNode, fields.path("type")) {
            do {
                type = try reader.sink.parseType(text)
            } catch {
                var mark = typeNode.mark
                if case .scalar(_, let style) = typeNode.content, !text.contains("\n") {
                    mark.column += error.offset + (style == .plain ? 0 : 1)
                }
                // `{ type: decimal(18,2) }` unquoted: the comma ended the value at "decimal(18".
                let split = text.filter { $0 == "(" }.count > text.filter { $0 == ")" }.count || text.filter { $0 == "<" }.count > text.filter { $0 == ">" }.count
                let hint = split ? "; inside { } or [ ] a comma ends the value, so quote the type: \"decimal(18,2)\"" : ""
                reader.sink.error(reader.file, mark, "\(reader.subject)\(fields.path("type")): invalid type \"\(text)\": \(error.message)\(hint)")
            }
        }
        if type == .timestampNTZ, let typeNode {
            fields.error(typeNode, "\(fields.path("type")): timestamp_ntz needs the Delta table feature \"timestampNtz\", which the local target does not write yet; use timestamp")
            type = nil
        }
        let nullable = fields.bool("nullable") ?? true
        let comment = fields.string("comment")
        let renamedNode = fields.field("renamedFrom")
        let renamedFrom = renamedNode.flatMap { fields.stringValue($0, fields.path("renamedFrom")) }
        if let renamedFrom, let renamedNode {
            if !Identifier.isValid(renamedFrom) {
                fields.error(renamedNode, "invalid column name \"\(Identifier.shown(renamedFrom))\" in renamedFrom; \(Identifier.rule)")
            } else if renamedFrom.lowercased() == name?.lowercased() {
                fields.error(renamedNode, "renamedFrom names the column itself; remove it, or name the column's previous name")
            }
        }
        let tags = fields.tags()
        let mask = fields.functionCall("mask", columnsKey: "using").map { call in
            references.items.append(Reference(kind: .function, value: call.function, location: reader.location(call.node), field: fields.path("mask.function"), from: from))
            return ColumnMask(function: call.function, using: call.columns)
        }
        guard let name, let type else { return nil }
        var column = Column(name: name, type: type, nullable: nullable, comment: comment, renamedFrom: renamedFrom, tags: tags)
        if let mask { column.mask = mask }
        return column
    }

    private func decodeProperties() -> [String: String] {
        var properties: [String: String] = [:]
        for (key, entry) in reader.stringMap("properties").sorted(by: { $0.key < $1.key }) {
            if key.hasPrefix("delta.constraints.") {
                reader.error(entry.keyNode, "declare CHECK constraints under spec.constraints, not as the property \"\(key)\"")
                continue
            }
            if key.hasPrefix("reconcile.") {
                reader.error(entry.keyNode, "properties starting with \"reconcile.\" are reconcile's own (it keeps tags there); declare tags under spec.tags")
                continue
            }
            if key.hasPrefix("delta.") {
                guard DeltaProperties.known.contains(key) else {
                    reader.error(entry.keyNode, "unknown Delta property \"\(key)\"\(Suggest.hint(for: key, in: DeltaProperties.known)); Delta ignores misspelt properties silently, so they are refused here")
                    continue
                }
                if DeltaProperties.needsTableFeatures.contains(key) {
                    reader.error(entry.keyNode, "property \"\(key)\" needs Delta table features (reader 3, writer 7) that the local target does not write yet")
                    continue
                }
                if key == DeltaProperties.columnMapping, entry.value != "name" {
                    reader.error(entry.node, "property \"\(key)\" can only be \"name\" here (column mapping cannot be turned off, and id mode is for tables converted from Iceberg), not \"\(entry.value)\"")
                    continue
                }
                if key == DeltaProperties.typeWidening, entry.value.lowercased() == "false" {
                    reader.error(entry.node, "property \"\(key)\" cannot be \"false\": a table's type changes stay in its history; remove the property instead")
                    continue
                }
                if DeltaProperties.booleans.contains(key), !["true", "false"].contains(entry.value.lowercased()) {
                    reader.error(entry.node, "property \"\(key)\" must be \"true\" or \"false\", not \"\(entry.value)\"")
                    continue
                }
            }
            properties[key] = DeltaProperties.booleans.contains(key) ? entry.value.lowercased() : entry.value
        }
        return properties
    }

    private func decodeConstraints() -> [String: String] {
        var constraints: [String: String] = [:]
        for (name, entry) in reader.stringMap("constraints") {
            guard Identifier.isValid(name) else {
                reader.error(entry.keyNode, "invalid constraint name \"\(Identifier.shown(name))\"; \(Identifier.rule)")
                continue
            }
            let expression = entry.value.trimmingSpaces
            guard !expression.isEmpty else {
                reader.error(entry.node, "constraint \"\(name)\" has an empty CHECK expression")
                continue
            }
            constraints[name.lowercased()] = expression
        }
        return constraints
    }
}

extension String {
    /// Without leading and trailing whitespace; a byte scan when the ends are ASCII.
    var trimmingSpaces: String {
        let bytes = utf8
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
        guard let first = bytes.first, let last = bytes.last else { return self }
        if first < 0x80, last < 0x80 {
            if !isSpace(first) && !isSpace(last) { return self }
            guard let start = bytes.firstIndex(where: { !isSpace($0) }), let end = bytes.lastIndex(where: { !isSpace($0) }) else { return "" }
            return String(self[start...end])
        }
        return String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
