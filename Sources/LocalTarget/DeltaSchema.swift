import Foundation
import Model
import SparkTypes

/// The schema a commit writes: the manifest's columns as Spark fields, keeping what
/// the table's fields already carry — column mapping ids and physical names, the
/// history of type changes, other engines' metadata (a generation expression) — so
/// evolving a table never loses what its files are read by.
struct DeltaSchema {
    static let idKey = "delta.columnMapping.id"
    static let physicalNameKey = "delta.columnMapping.physicalName"
    static let typeChangesKey = "delta.typeChanges"
    /// Metadata keys reconcile writes from the manifest; the rest of a field's metadata is kept.
    static let ownKeys: Set<String> = ["comment", SparkSchema.charVarcharKey]

    /// Column mapping on (name mode): every field has an id and a physical name.
    var mapping: Bool
    /// The highest column id given out (`delta.columnMapping.maxColumnId`).
    var maxColumnId: Int
    /// Whether a field's storage type was widened (the typeWidening feature is needed).
    private(set) var widened = false
    /// Fields of the previous schema that the new one drops or renames: without
    /// column mapping their files would be misread, so the caller refuses.
    private(set) var unmapped: [String] = []
    let id: ResourceID

    init(mapping: Bool, maxColumnId: Int, id: ResourceID) {
        self.mapping = mapping
        self.maxColumnId = maxColumnId
        self.id = id
    }

    /// The schema for `columns`; `previous` is the table's current schema's fields
    /// (empty for a new or replaced table).
    mutating func json(for columns: [Column], previous: [[String: Any]]) throws(TargetError) -> [String: Any] {
        var kept: Set<String> = []
        var fields: [[String: Any]] = []
        for column in columns {
            let source = Self.field(named: column.name, in: previous)
                ?? column.renamedFrom.flatMap { Self.field(named: $0, in: previous) }
            if let source, let name = source["name"] as? String {
                kept.insert(name.lowercased())
                if name != column.name && !mapping { unmapped.append(name) }
            }
            var made = try field(name: column.name, type: column.type, nullable: column.nullable, comment: column.comment, previous: source)
            // Declared tags are the whole set; undeclared ones stay as they are.
            if var metadata = made["metadata"] as? [String: Any] {
                if let tags = column.tags { metadata[SparkSchema.tagsKey] = tags.isEmpty ? nil : SparkSchema.tagsText(tags) }
                // A mask is fully managed: none declared, none kept.
                metadata[SparkSchema.maskKey] = column.mask.map { SparkSchema.callText($0.function, "using", $0.using) }
                made["metadata"] = metadata
            }
            fields.append(made)
        }
        if !mapping {
            unmapped += previous.compactMap { $0["name"] as? String }.filter { !kept.contains($0.lowercased()) }
        }
        return ["type": "struct", "fields": fields]
    }

    static func field(named name: String, in fields: [[String: Any]]) -> [String: Any]? {
        fields.first { ($0["name"] as? String)?.lowercased() == name.lowercased() }
    }

    /// One field: the manifest's name, type, nullability and comment over the
    /// metadata the previous field had, with a column id when mapping is on.
    private mutating func field(name: String, type: DataType, nullable: Bool, comment: String?, previous: [String: Any]?) throws(TargetError) -> [String: Any] {
        var field = SparkSchema.field(name: name, type: type, nullable: nullable, comment: comment)
        var metadata = (previous?["metadata"] as? [String: Any] ?? [:]).filter { !Self.ownKeys.contains($0.key) }
        metadata.merge(field["metadata"] as? [String: Any] ?? [:]) { $1 }
        if mapping, metadata[Self.idKey] == nil {
            maxColumnId += 1
            metadata[Self.idKey] = maxColumnId
            // A field that exists is stored under its current name; a new one under a
            // name no drop or rename can ever collide with.
            metadata[Self.physicalNameKey] = (previous?["name"] as? String) ?? "col-\(UUID().uuidString.lowercased())"
        }
        if let previous, let rawType = previous["type"] {
            let old: DataType
            do { old = try SparkSchema.dataType(rawType) } catch {
                throw TargetError(id, "the schema's field \(name) has an unreadable type: \(error.message)")
            }
            let changes = Self.typeChanges(from: old, to: type, path: [])
            if !changes.isEmpty {
                widened = true
                metadata[Self.typeChangesKey] = (metadata[Self.typeChangesKey] as? [Any] ?? []) + changes
            }
        }
        field["metadata"] = metadata
        field["type"] = try typeJSON(type, previous: previous?["type"])
        return field
    }

    /// A type's JSON; nested struct fields keep their previous metadata as top-level ones do.
    private mutating func typeJSON(_ type: DataType, previous: Any?) throws(TargetError) -> Any {
        let old = previous as? [String: Any]
        switch type {
        case .struct(let members):
            let before = old?["type"] as? String == "struct" ? old?["fields"] as? [[String: Any]] ?? [] : []
            var fields: [[String: Any]] = []
            for member in members {
                fields.append(try field(name: member.name, type: member.type, nullable: member.nullable, comment: member.comment,
                                        previous: Self.field(named: member.name, in: before)))
            }
            return ["type": "struct", "fields": fields]
        case .array(let element, let containsNull):
            return ["type": "array", "elementType": try typeJSON(element, previous: old?["elementType"]), "containsNull": containsNull]
        case .map(let key, let value, let valueContainsNull):
            return ["type": "map", "keyType": try typeJSON(key, previous: old?["keyType"]),
                    "valueType": try typeJSON(value, previous: old?["valueType"]), "valueContainsNull": valueContainsNull]
        default:
            return SparkSchema.json(type)
        }
    }

    /// The `delta.typeChanges` entries for a field whose storage widens: one per
    /// primitive that changes, with its path inside arrays and maps (struct members
    /// record their own).
    static func typeChanges(from old: DataType, to new: DataType, path: [String]) -> [[String: Any]] {
        switch (old, new) {
        case let (.array(e1, _), .array(e2, _)):
            return typeChanges(from: e1, to: e2, path: path + ["element"])
        case let (.map(k1, v1, _), .map(k2, v2, _)):
            return typeChanges(from: k1, to: k2, path: path + ["key"]) + typeChanges(from: v1, to: v2, path: path + ["value"])
        case (.struct, _), (_, .struct):
            return []
        default:
            guard old.widensStorage(to: new) else { return [] }
            var change: [String: Any] = ["fromType": SparkSchema.json(old), "toType": SparkSchema.json(new)]
            if !path.isEmpty { change["fieldPath"] = path.joined(separator: ".") }
            return [change]
        }
    }

    /// The fields of a `schemaString`.
    static func fields(of schemaString: String, id: ResourceID) throws(TargetError) -> [[String: Any]] {
        guard let object = (try? JSONReader.parse(schemaString)) as? [String: Any],
              let fields = object["fields"] as? [[String: Any]] else {
            throw TargetError(id, "the table's schemaString is not a readable struct; the log is corrupt")
        }
        return fields
    }
}
