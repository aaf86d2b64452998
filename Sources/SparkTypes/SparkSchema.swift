import Foundation
import Model

/// Converts between `DataType`s and Spark's schema JSON (as the Delta log and Unity
/// Catalog's `type_json` hold it) (a Spark
/// StructType): primitives are lowercase strings, nested types are objects, every
/// field carries a `metadata` object (a column comment is `metadata.comment`).
public enum SparkSchema {
    /// Spark keeps char/varchar as string, remembering the declared type here.
    public static let charVarcharKey = "__CHAR_VARCHAR_TYPE_STRING"

    public static func json(columns: [Column]) -> [String: Any] {
        ["type": "struct", "fields": columns.map { field(name: $0.name, type: $0.type, nullable: $0.nullable, comment: $0.comment) }]
    }

    public static func field(name: String, type: DataType, nullable: Bool, comment: String?) -> [String: Any] {
        var metadata: [String: Any] = [:]
        if let comment { metadata["comment"] = comment }
        switch type {
        case .varchar, .char: metadata[charVarcharKey] = type.description
        default: break
        }
        return ["name": name, "type": json(type), "nullable": nullable, "metadata": metadata]
    }

    public static func json(_ type: DataType) -> Any {
        switch type {
        case .boolean: return "boolean"
        case .byte: return "byte"
        case .short: return "short"
        case .integer: return "integer"
        case .long: return "long"
        case .float: return "float"
        case .double: return "double"
        case .string, .varchar, .char: return "string"
        case .binary: return "binary"
        case .date: return "date"
        case .timestamp: return "timestamp"
        case .timestampNTZ: return "timestamp_ntz"
        case .decimal(let p, let s): return "decimal(\(p),\(s))"
        case .array(let element, let containsNull):
            return ["type": "array", "elementType": json(element), "containsNull": containsNull]
        case .map(let key, let value, let valueContainsNull):
            return ["type": "map", "keyType": json(key), "valueType": json(value), "valueContainsNull": valueContainsNull]
        case .struct(let fields):
            return ["type": "struct", "fields": fields.map { field(name: $0.name, type: $0.type, nullable: $0.nullable, comment: $0.comment) }]
        }
    }

    public struct Invalid: Error { public var message: String }

    /// Where reconcile keeps a column's tags (a JSON object, as a string) in its field metadata,
    /// and a table's in its configuration.
    public static let tagsKey = "reconcile.tags"

    /// Tags written under `tagsKey`; nil when absent, an error when unreadable.
    public static func tags(_ text: Any?) throws(Invalid) -> [String: String]? {
        guard let text else { return nil }
        guard let string = text as? String, let object = (try? JSONReader.parse(string)) as? [String: Any],
              object.values.allSatisfy({ $0 is String }) else {
            throw Invalid(message: "\(tagsKey) is not a JSON object of strings")
        }
        return object.compactMapValues { $0 as? String }
    }

    public static func tagsText(_ tags: [String: String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: tags, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Where a column's mask (`{"function", "using"}`) and a table's row filter
    /// (`{"function", "on"}`) are kept, as JSON text: field metadata and configuration.
    public static let maskKey = "reconcile.mask"
    public static let rowFilterKey = "reconcile.rowFilter"

    public static func callText(_ function: String, _ columnsKey: String, _ columns: [String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: ["function": function, columnsKey: columns], options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// A mask or row filter written under `key`; nil when absent, an error when unreadable.
    public static func call(_ text: Any?, _ columnsKey: String, key: String) throws(Invalid) -> (function: String, columns: [String])? {
        guard let text else { return nil }
        guard let string = text as? String, let object = (try? JSONReader.parse(string)) as? [String: Any],
              let function = object["function"] as? String, let columns = (object[columnsKey] ?? []) as? [String] else {
            throw Invalid(message: "\(key) is not a JSON object with a function and its columns")
        }
        return (function, columns)
    }

    public static func structField(_ item: Any) throws(Invalid) -> StructField {
        guard let field = item as? [String: Any], let name = field["name"] as? String, let rawType = field["type"] else {
            throw Invalid(message: "a schema field lacks a name or type")
        }
        let metadata = field["metadata"] as? [String: Any] ?? [:]
        var type = try dataType(rawType)
        if let declared = metadata[charVarcharKey] as? String, let parsed = try? DataType.parse(declared) {
            type = parsed
        }
        return StructField(name: name, type: type, nullable: field["nullable"] as? Bool ?? true, comment: metadata["comment"] as? String)
    }

    /// `decimal(p,s)` as Delta writes it, without the general type parser.
    /// Read on bytes: every table's schema names it for each decimal column.
    static func decimal(_ name: String) -> DataType? {
        let bytes = name.utf8
        guard bytes.count >= 12, bytes.count <= 14, name.hasPrefix("decimal("), bytes.last == UInt8(ascii: ")") else { return nil }
        var index = bytes.index(bytes.startIndex, offsetBy: 8)
        func number() -> Int? {
            var value = 0
            var digits = 0
            while index < bytes.endIndex, let digit = Optional(bytes[index]), digit >= 0x30, digit <= 0x39, digits < 2 {
                value = value * 10 + Int(digit - 0x30)
                digits += 1
                index = bytes.index(after: index)
            }
            return digits > 0 ? value : nil
        }
        guard let precision = number(), index < bytes.endIndex, bytes[index] == UInt8(ascii: ",") else { return nil }
        index = bytes.index(after: index)
        guard let scale = number(), bytes.index(after: index) == bytes.endIndex,
              (1...38).contains(precision), (0...precision).contains(scale) else { return nil }
        return .decimal(precision: precision, scale: scale)
    }

    /// A primitive type by the name the schema JSON gives it.
    public static func dataType(named name: String) throws(Invalid) -> DataType {
        switch name {
        case "boolean": return .boolean
        case "byte": return .byte
        case "short": return .short
        case "integer": return .integer
        case "long": return .long
        case "float": return .float
        case "double": return .double
        case "string": return .string
        case "binary": return .binary
        case "date": return .date
        case "timestamp": return .timestamp
        case "timestamp_ntz": return .timestampNTZ
        default:
            if let decimal = decimal(name) { return decimal }
            if name.hasPrefix("decimal"), let parsed = try? DataType.parse(name) { return parsed }
            throw Invalid(message: "unknown type \"\(name)\" in the schema")
        }
    }

    public static func dataType(_ raw: Any) throws(Invalid) -> DataType {
        if let name = raw as? String { return try dataType(named: name) }
        guard let object = raw as? [String: Any], let kind = object["type"] as? String else {
            throw Invalid(message: "a schema type is neither a name nor an object")
        }
        switch kind {
        case "array":
            guard let element = object["elementType"] else { throw Invalid(message: "an array type lacks elementType") }
            return .array(element: try dataType(element), containsNull: object["containsNull"] as? Bool ?? true)
        case "map":
            guard let key = object["keyType"], let value = object["valueType"] else { throw Invalid(message: "a map type lacks keyType or valueType") }
            return .map(key: try dataType(key), value: try dataType(value), valueContainsNull: object["valueContainsNull"] as? Bool ?? true)
        case "struct":
            guard let fields = object["fields"] as? [Any] else { throw Invalid(message: "a struct type lacks fields") }
            return .struct(try fields.map { (item: Any) throws(Invalid) -> StructField in try structField(item) })
        default:
            throw Invalid(message: "unknown type \"\(kind)\" in the schema")
        }
    }
}
