import Model

/// Checks across pipelines: the tables they read and write are declared, each
/// table has at most one producer, and no pipeline depends on itself.
enum Lineage {
    static func check(resources: [Resource], references: [Reference]) -> [Diagnostic] {
        // Names only: filtering the resources would copy every one of them.
        var tables = Set<String>(minimumCapacity: resources.count), functions = Set<String>()
        for resource in resources {
            switch resource.id.kind {
            case .table: tables.insert(resource.id.name)
            case .function: functions.insert(resource.id.name)
            default: break
            }
        }
        var diagnostics: [Diagnostic] = []
        var producer: [String: Reference] = [:]
        // Masks and row filters call declared functions.
        for reference in references where reference.kind == .function && !functions.contains(reference.value) {
            diagnostics.append(.error(at: reference.location,
                "\(reference.from): \(reference.field): function \"\(reference.value)\" is not declared\(Suggest.hint(for: reference.value, in: functions)); declare it with a Function manifest"))
        }
        for reference in references where reference.kind != .library && reference.kind != .function {
            guard tables.contains(reference.value) else {
                diagnostics.append(.error(at: reference.location,
                    "\(reference.from): \(reference.field): table \"\(reference.value)\" is not declared\(Suggest.hint(for: reference.value, in: tables)); declare it with a Table manifest"))
                continue
            }
            if reference.kind == .produces {
                if let first = producer[reference.value], first.from != reference.from {
                    diagnostics.append(.error(at: reference.location,
                        "\(reference.from): table \"\(reference.value)\" is already produced by \(first.from) (\(first.location)); a table has one producing pipeline"))
                } else {
                    producer[reference.value] = reference
                }
            }
        }
        diagnostics += cycles(resources: resources, producer: producer)
        return diagnostics
    }

    /// A pipeline depends on the producers of the tables it consumes.
    static func cycles(resources: [Resource], producer: [String: Reference]) -> [Diagnostic] {
        var edges: [ResourceID: [(table: String, to: ResourceID)]] = [:]
        var origins: [ResourceID: SourceLocation?] = [:]
        for resource in resources {
            guard case .pipeline(let pipeline) = resource.spec else { continue }
            origins[resource.id] = resource.origin
            edges[resource.id] = pipeline.consumes.compactMap { table in producer[table].map { (table, $0.from) } }
        }
        enum Mark { case visiting, done }
        var marks: [ResourceID: Mark] = [:]
        var stack: [(ResourceID, String?)] = []
        var diagnostics: [Diagnostic] = []
        var reported: Set<Set<ResourceID>> = []

        func visit(_ id: ResourceID, via table: String?) {
            if marks[id] == .done { return }
            if marks[id] == .visiting {
                guard let start = stack.firstIndex(where: { $0.0 == id }) else { return }
                let loop = Array(stack[start...])
                let members = Set(loop.map(\.0))
                guard reported.insert(members).inserted else { return }
                let described = loop.indices.map { index in
                    let next = index + 1 < loop.count ? loop[index + 1] : (id, table)
                    return "\(loop[index].0) consumes \(next.1 ?? "?"), produced by \(next.0)"
                }.joined(separator: "; ")
                diagnostics.append(.error(at: origins[id] ?? nil, "pipelines form a dependency cycle: \(described); a pipeline cannot consume what it produces, directly or through others"))
                return
            }
            marks[id] = .visiting
            stack.append((id, table))
            for edge in edges[id] ?? [] { visit(edge.to, via: edge.table) }
            stack.removeLast()
            marks[id] = .done
        }
        for id in edges.keys.sorted() { visit(id, via: nil) }
        return diagnostics
    }
}
