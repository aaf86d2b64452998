import Model

/// Rebuilds records from columns' repetition and definition levels (Dremel's
/// assembly): every leaf under a node shares that node's structure, so a node is
/// built from the slot ranges of its leaves. Lists and maps come out as arrays and
/// objects.
struct Assembler {
    struct Leaf {
        var data: ColumnData
        /// For each slot, the index of its value (valid where the slot is defined).
        var valueIndex: [Int]
        /// Where each row's slots start.
        var rowStarts: [Int]
    }

    private var leaves: [ObjectIdentifier: Leaf] = [:]

    mutating func add(_ node: SchemaNode, _ data: ColumnData) throws(ParquetError) {
        guard data.repetition.count == data.definition.count else { throw ParquetError("column \(node.path.joined(separator: ".")) has unequal level counts") }
        var valueIndex = [Int](repeating: 0, count: data.definition.count)
        var next = 0
        var rowStarts: [Int] = []
        for slot in data.definition.indices {
            valueIndex[slot] = next
            if data.definition[slot] == node.maxDefinition { next += 1 }
            if data.repetition[slot] == 0 { rowStarts.append(slot) }
        }
        guard next == data.values.count else {
            throw ParquetError("column \(node.path.joined(separator: ".")) has \(data.values.count) values for \(next) defined slots")
        }
        leaves[ObjectIdentifier(node)] = Leaf(data: data, valueIndex: valueIndex, rowStarts: rowStarts)
    }

    func rowCount(_ node: SchemaNode) -> Int { node.leaves.first.flatMap { leaves[ObjectIdentifier($0)]?.rowStarts.count } ?? 0 }

    /// Row `row` of `node` (a top-level column).
    func value(_ node: SchemaNode, row: Int) throws(ParquetError) -> Value {
        var ranges: [ObjectIdentifier: Range<Int>] = [:]
        for leaf in node.leaves {
            guard let column = leaves[ObjectIdentifier(leaf)], row < column.rowStarts.count else {
                throw ParquetError("column \(leaf.path.joined(separator: ".")) has fewer rows than its neighbours")
            }
            let end = row + 1 < column.rowStarts.count ? column.rowStarts[row + 1] : column.data.definition.count
            ranges[ObjectIdentifier(leaf)] = column.rowStarts[row]..<end
        }
        return try build(node, ranges)
    }

    private func build(_ node: SchemaNode, _ ranges: [ObjectIdentifier: Range<Int>]) throws(ParquetError) -> Value {
        guard let probe = node.leaves.first, let column = leaves[ObjectIdentifier(probe)], let range = ranges[ObjectIdentifier(probe)], !range.isEmpty else {
            throw ParquetError("column \(node.path.joined(separator: ".")) has no slot for a row")
        }
        let first = range.lowerBound
        switch node.repetition {
        case .repeated:
            if column.data.definition[first] < node.maxDefinition { return .array([]) }
            // Elements start where the repetition level is this node's.
            var items: [Value] = []
            var starts: [ObjectIdentifier: [Int]] = [:]
            for leaf in node.leaves {
                let id = ObjectIdentifier(leaf)
                guard let slots = ranges[id], let data = leaves[id]?.data else { continue }
                starts[id] = slots.filter { $0 == slots.lowerBound || data.repetition[$0] == node.maxRepetition }
            }
            let count = starts[ObjectIdentifier(probe)]?.count ?? 0
            for index in 0..<count {
                var element: [ObjectIdentifier: Range<Int>] = [:]
                for (id, list) in starts {
                    guard index < list.count, let slots = ranges[id] else { throw ParquetError("columns under \(node.path.joined(separator: ".")) disagree on its elements") }
                    element[id] = list[index]..<(index + 1 < list.count ? list[index + 1] : slots.upperBound)
                }
                items.append(try instance(node, element))
            }
            return .array(items)
        case .optional:
            if column.data.definition[first] < node.maxDefinition { return .null }
            return try instance(node, ranges)
        case .required:
            return try instance(node, ranges)
        }
    }

    /// One present instance of `node`: a leaf's value, or a group's fields (lists and maps unwrapped).
    private func instance(_ node: SchemaNode, _ ranges: [ObjectIdentifier: Range<Int>]) throws(ParquetError) -> Value {
        if node.isLeaf {
            let id = ObjectIdentifier(node)
            guard let column = leaves[id], let slot = ranges[id]?.lowerBound else { throw ParquetError("a leaf has no slot") }
            return column.data.definition[slot] == node.maxDefinition ? column.data.values[column.valueIndex[slot]] : .null
        }
        var fields: [String: Value] = [:]
        for child in node.children {
            let mine = ranges.filter { key, _ in child.leaves.contains { ObjectIdentifier($0) == key } }
            fields[child.name] = try build(child, mine)
        }
        switch node.annotation {
        case .list:
            // optional group (LIST) { repeated group list { element } }, or a repeated primitive.
            guard node.children.count == 1, case .array(let items)? = fields[node.children[0].name] else { return .object(fields) }
            let repeated = node.children[0]
            if repeated.isLeaf || repeated.children.count != 1 { return .array(items) }
            return .array(items.map { $0[repeated.children[0].name] ?? .null })
        case .map:
            guard node.children.count == 1, case .array(let entries)? = fields[node.children[0].name] else { return .object(fields) }
            var object: [String: Value] = [:]
            for entry in entries {
                guard case .object(let pair) = entry, let key = pair["key"] else { continue }
                object[key.stringValue ?? "\(key)"] = pair["value"] ?? .null
            }
            return .object(object)
        default:
            return .object(fields)
        }
    }
}
