/// A Spark SQL data type, as a Delta table's schema holds it.
public indirect enum DataType: Sendable, Hashable, CustomStringConvertible {
    case boolean, byte, short, integer, long, float, double
    case string, binary, date, timestamp, timestampNTZ
    case decimal(precision: Int, scale: Int)
    case varchar(Int)
    case char(Int)
    case array(element: DataType, containsNull: Bool)
    case map(key: DataType, value: DataType, valueContainsNull: Bool)
    case `struct`([StructField])

    /// The Spark SQL spelling (`bigint`, `decimal(18,2)`, `array<string>`), canonical:
    /// two types are equal exactly when their descriptions are.
    public var description: String {
        switch self {
        case .boolean: return "boolean"
        case .byte: return "tinyint"
        case .short: return "smallint"
        case .integer: return "int"
        case .long: return "bigint"
        case .float: return "float"
        case .double: return "double"
        case .string: return "string"
        case .binary: return "binary"
        case .date: return "date"
        case .timestamp: return "timestamp"
        case .timestampNTZ: return "timestamp_ntz"
        case .decimal(let p, let s): return "decimal(\(p),\(s))"
        case .varchar(let n): return "varchar(\(n))"
        case .char(let n): return "char(\(n))"
        case .array(let element, let containsNull):
            return "array<\(element)\(containsNull ? "" : " not null")>"
        case .map(let key, let value, let valueContainsNull):
            return "map<\(key),\(value)\(valueContainsNull ? "" : " not null")>"
        case .struct(let fields):
            return "struct<" + fields.map(\.description).joined(separator: ",") + ">"
        }
    }

    /// Primitive spellings accepted in manifests, and what they mean.
    public static let primitiveNames: [String: DataType] = [
        "boolean": .boolean, "bool": .boolean,
        "tinyint": .byte, "byte": .byte,
        "smallint": .short, "short": .short,
        "int": .integer, "integer": .integer,
        "bigint": .long, "long": .long,
        "float": .float, "real": .float,
        "double": .double,
        "string": .string, "binary": .binary, "date": .date,
        "timestamp": .timestamp, "timestamp_ltz": .timestamp, "timestamp_ntz": .timestampNTZ,
    ]
}

/// A field of a `struct` type.
public struct StructField: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var type: DataType
    public var nullable: Bool
    public var comment: String?

    public init(name: String, type: DataType, nullable: Bool = true, comment: String? = nil) {
        self.name = name
        self.type = type
        self.nullable = nullable
        self.comment = comment
    }

    public var description: String {
        var text = "\(DataType.quoteIfNeeded(name)):\(type)"
        if !nullable { text += " not null" }
        if let comment { text += " comment '\(comment.replacing("'", with: "\\'"))'" }
        return text
    }
}

extension DataType {
    static func quoteIfNeeded(_ name: String) -> String {
        let plain = name.first.map { $0 == "_" || $0.isLetter } == true
            && name.allSatisfy { $0 == "_" || $0.isLetter || $0.isNumber }
        return plain ? name : "`" + name.replacing("`", with: "``") + "`"
    }

    /// Whether a column of this type can take values of `other` with no rewrite and
    /// no loss: the same type, or a widening (int → bigint, float → double, a decimal
    /// with more integer and fraction digits, varchar(n) → varchar(m ≥ n) or string,
    /// new nullable struct fields at the end, looser nullability inside).
    /// Whether widening to `other` changes how values are stored (int → bigint,
    /// float → double, a decimal's precision), which Delta records with its
    /// typeWidening feature; a longer varchar or a new struct field does not.
    public func widensStorage(to other: DataType) -> Bool {
        switch (self, other) {
        case let (.array(e1, _), .array(e2, _)): return e1.widensStorage(to: e2)
        case let (.map(k1, v1, _), .map(k2, v2, _)): return k1.widensStorage(to: k2) || v1.widensStorage(to: v2)
        case let (.struct(f1), .struct(f2)):
            return f1.contains { old in f2.first { $0.name.lowercased() == old.name.lowercased() }.map { old.type.widensStorage(to: $0.type) } ?? false }
        case (.varchar, _), (.char, _), (.string, _): return false
        default: return self != other
        }
    }

    public func widens(to other: DataType) -> Bool {
        if self == other { return true }
        switch (self, other) {
        case (.byte, .short), (.byte, .integer), (.byte, .long),
             (.short, .integer), (.short, .long), (.integer, .long),
             (.float, .double), (.byte, .double), (.short, .double), (.integer, .double):
            return true
        case let (.decimal(p1, s1), .decimal(p2, s2)):
            return s2 >= s1 && (p2 - s2) >= (p1 - s1)
        case let (.varchar(n), .varchar(m)): return m >= n
        case (.varchar, .string), (.char, .string): return true
        case let (.array(e1, n1), .array(e2, n2)):
            return e1.widens(to: e2) && (n2 || !n1)
        case let (.map(k1, v1, n1), .map(k2, v2, n2)):
            return k1 == k2 && v1.widens(to: v2) && (n2 || !n1)
        case let (.struct(f1), .struct(f2)):
            guard f2.count >= f1.count else { return false }
            for (old, new) in zip(f1, f2) {
                guard old.name == new.name, old.type.widens(to: new.type), new.nullable || !old.nullable else { return false }
            }
            return f2.dropFirst(f1.count).allSatisfy(\.nullable)
        default:
            return false
        }
    }
}
