import Foundation
import Model

/// Functions, column masks, row filters and tags as Unity Catalog shows them (#15):
/// functions through the functions API (listed per schema, only in catalogs that
/// hold a declared or owned function), masks and row filters in the tables API's
/// answer, tags through the entity tag assignments API, one request per entity
/// whose manifest manages tags. All read over REST: a drift cycle never wakes the
/// SQL warehouse.
extension DatabricksWorkspace {
    /// The SQL functions of one schema.
    func observeFunctions(catalog: String, schema: String) async throws(TargetError) -> [Resource] {
        var resources: [Resource] = []
        for info in try await paged("/api/2.1/unity-catalog/functions", ["catalog_name": catalog, "schema_name": schema], key: "functions") {
            guard let name = info["name"]?.stringValue else { continue }
            let id = ResourceID(.function, "\(catalog).\(schema).\(name)")
            resources.append(Resource(id: id, spec: .function(try Self.functionSpec(info, id)), observation: Observation()))
        }
        return resources
    }

    /// A FunctionInfo as a spec. Anything that cannot be read is an error naming the
    /// field, never a guess that could look like a match.
    static func functionSpec(_ info: Value, _ id: ResourceID) throws(TargetError) -> FunctionSpec {
        guard info["routine_body"]?.stringValue.map({ $0.uppercased() == "SQL" }) ?? true else {
            throw TargetError(id, "the function's body is \(info["routine_body"]?.stringValue ?? "?"), not SQL: reconcile manages SQL functions only; rename one of them or remove the manifest")
        }
        func type(_ text: String?, _ field: String) throws(TargetError) -> DataType {
            guard let text, !text.isEmpty else { throw TargetError(id, "the functions API gave no \(field)") }
            do { return try DataType.parse(text) } catch { throw TargetError(id, "\(field) \"\(text)\" cannot be read: \(error.message)") }
        }
        var parameters: [(Int, FunctionSpec.Parameter)] = []
        if case .array(let entries)? = info["input_params"]?["parameters"] {
            for (index, entry) in entries.enumerated() {
                guard let name = entry["name"]?.stringValue else { throw TargetError(id, "input parameter \(index) has no name") }
                let position: Int = { if case .int(let p)? = entry["position"] { return p }; return index }()
                parameters.append((position, FunctionSpec.Parameter(name: name, type: try type(entry["type_text"]?.stringValue, "input_params.parameters[\(index)].type_text"))))
            }
        }
        return FunctionSpec(parameters: parameters.sorted { $0.0 < $1.0 }.map(\.1),
                            returns: try type(info["full_data_type"]?.stringValue ?? info["data_type"]?.stringValue, "full_data_type"),
                            body: info["routine_definition"]?.stringValue ?? "",
                            comment: info["comment"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 })
    }

    /// The mask a ColumnInfo carries. One that cannot be read is never "no mask" (a
    /// manifest without one would then match): it reads as a mask by an unreadable function.
    static func mask(_ column: Value) -> ColumnMask? {
        guard let mask = column["mask"], mask != .null else { return nil }
        guard let function = mask["function_name"]?.stringValue else { return ColumnMask(function: "(unreadable)") }
        var using: [String] = []
        if case .array(let names)? = mask["using_column_names"] { using = names.compactMap(\.stringValue) }
        return ColumnMask(function: function, using: using)
    }

    /// The row filter a TableInfo carries (`function_name`; older answers say `name`);
    /// one that cannot be read reads as a filter by an unreadable function, never as none.
    static func rowFilter(_ table: Value) -> RowFilter? {
        guard let filter = table["row_filter"], filter != .null else { return nil }
        guard let function = filter["function_name"]?.stringValue ?? filter["name"]?.stringValue else { return RowFilter(function: "(unreadable)") }
        var on: [String] = []
        if case .array(let names)? = filter["input_column_names"] { on = names.compactMap(\.stringValue) }
        return RowFilter(function: function, on: on)
    }

    /// `resources` with the tags of each entity a marker names (an entity that does
    /// not exist has none to read).
    func withTags(_ resources: [Resource], markers: [(entity: String, name: String)]) async throws(TargetError) -> [Resource] {
        guard !markers.isEmpty else { return resources }
        var resources = resources
        let index = Dictionary(resources.enumerated().map { ($0.element.id, $0.offset) }, uniquingKeysWith: { first, _ in first })
        // Which resource (and column) each marker names; those that exist are read a few at a time.
        let wanted: [(entity: String, name: String, position: Int, column: String?)] = markers.sorted(by: { ($0.entity, $0.name) < ($1.entity, $1.name) }).compactMap { marker in
            let (kind, owner, column): (ResourceKind, String, String?) = switch marker.entity {
            case "catalogs": (.catalog, marker.name, nil)
            case "schemas": (.schema, marker.name, nil)
            case "tables": (.table, marker.name, nil)
            default: (.table, String(marker.name[..<(marker.name.lastIndex(of: ".") ?? marker.name.endIndex)]),
                      marker.name.lastIndex(of: ".").map { String(marker.name[marker.name.index(after: $0)...]) })
            }
            return index[ResourceID(kind, owner)].map { (marker.entity, marker.name, $0, column) }
        }
        let requests = wanted.map { (entity: $0.entity, name: $0.name, id: resources[$0.position].id) }
        let read = try await boundedMap(requests) { request throws(TargetError) in try await self.tags(request.entity, request.name, request.id) }
        for ((_, _, position, column), tags) in zip(wanted, read) {
            switch resources[position].spec {
            case .catalog(var spec): spec.tags = tags; resources[position].spec = .catalog(spec)
            case .schema(var spec): spec.tags = tags; resources[position].spec = .schema(spec)
            case .table(var spec):
                if let column {
                    guard let at = spec.columns.firstIndex(where: { $0.name.lowercased() == column.lowercased() }) else { continue }
                    spec.columns[at].tags = tags
                } else {
                    spec.tags = tags
                }
                resources[position].spec = .table(spec)
            default: continue
            }
        }
        return resources
    }

    /// One entity's tags (`GET …/entity-tag-assignments/{type}/{name}/tags`, paged).
    func tags(_ entity: String, _ name: String, _ id: ResourceID) async throws(TargetError) -> [String: String] {
        var tags: [String: String] = [:]
        let assignments: [Value]
        do {
            assignments = try await paged("/api/2.1/unity-catalog/entity-tag-assignments/\(entity)/\(escape(name))/tags", [:], key: "tag_assignments", pageSize: nil)
        } catch {
            throw TargetError(id, "cannot read the tags of \(entity.dropLast()) \(name): \(error.message)")
        }
        for assignment in assignments {
            guard let key = assignment["tag_key"]?.stringValue else { throw TargetError(id, "a tag assignment of \(name) has no tag_key") }
            tags[key] = assignment["tag_value"]?.stringValue ?? ""
        }
        return tags
    }
}

/// Requests a remote target makes at once while it observes: the HTTP client pools
/// four connections per host, so more would only queue.
let observationConcurrency = 4

/// `transform` over `items`, at most `limit` at a time, the results in the items' order;
/// the first error ends it (the rest are cancelled).
func boundedMap<Item: Sendable, Result: Sendable>(_ items: [Item], limit: Int = observationConcurrency,
                                                  _ transform: @escaping @Sendable (Item) async throws(TargetError) -> Result) async throws(TargetError) -> [Result] {
    guard items.count > 1 else {
        var results: [Result] = []
        for item in items { results.append(try await transform(item)) }
        return results
    }
    var results = [Result?](repeating: nil, count: items.count)
    do {
        try await withThrowingTaskGroup(of: (Int, Result).self) { group in
            var next = 0
            while next < min(limit, items.count) {
                let index = next, item = items[index]
                group.addTask { (index, try await transform(item)) }
                next += 1
            }
            while let (index, result) = try await group.next() {
                results[index] = result
                if next < items.count {
                    let index = next, item = items[index]
                    group.addTask { (index, try await transform(item)) }
                    next += 1
                }
            }
        }
    } catch let error as TargetError {
        throw error
    } catch {
        throw TargetError(nil, "observing was interrupted: \(error)")
    }
    return results.compactMap { $0 }
}
