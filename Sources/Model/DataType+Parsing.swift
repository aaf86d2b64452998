/// An error in a type expression, at a character offset within it.
public struct DataTypeParseError: Error, Sendable, Hashable {
    public var message: String
    /// 0-based offset of the problem in the parsed text.
    public var offset: Int
}

extension DataType {
    /// Parses Spark SQL type syntax: primitives, `decimal(p,s)`, `varchar(n)`,
    /// `char(n)`, `array<T>`, `map<K,V>`, `struct<name:T [not null] [comment 'c'],…>`.
    /// Case-insensitive; whitespace is free between tokens.
    public static func parse(_ text: String) throws(DataTypeParseError) -> DataType {
        var parser = TypeParser(text)
        let type = try parser.type()
        parser.skipSpace()
        guard parser.atEnd else {
            throw DataTypeParseError(message: "unexpected \"\(parser.rest)\" after the type \"\(type)\"", offset: parser.position)
        }
        return type
    }
}

private struct TypeParser {
    let chars: [Character]
    var position = 0

    init(_ text: String) { chars = Array(text) }

    var atEnd: Bool { position >= chars.count }
    var rest: String { String(chars[min(position, chars.count)...]) }

    mutating func skipSpace() {
        while position < chars.count, chars[position].isWhitespace { position += 1 }
    }

    mutating func word() -> String {
        skipSpace()
        let start = position
        while position < chars.count, chars[position].isLetter || chars[position].isNumber || chars[position] == "_" {
            position += 1
        }
        return String(chars[start..<position])
    }

    mutating func accept(_ c: Character) -> Bool {
        skipSpace()
        if position < chars.count, chars[position] == c { position += 1; return true }
        return false
    }

    mutating func expect(_ c: Character, after what: String) throws(DataTypeParseError) {
        guard accept(c) else {
            let found = atEnd ? "the end" : "\"\(chars[position])\""
            throw DataTypeParseError(message: "expected \"\(c)\" \(what), found \(found)", offset: position)
        }
    }

    mutating func integer(_ what: String) throws(DataTypeParseError) -> Int {
        skipSpace()
        let start = position
        while position < chars.count, chars[position].isASCII, chars[position].isNumber { position += 1 }
        guard start < position, let value = Int(String(chars[start..<position])) else {
            throw DataTypeParseError(message: "expected a number for \(what)", offset: start)
        }
        return value
    }

    /// How deep `array<`, `map<` and `struct<` may nest.
    static let maxDepth = 32
    var depth = 0

    mutating func type() throws(DataTypeParseError) -> DataType {
        skipSpace()
        let start = position
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else {
            throw DataTypeParseError(message: "types nest more than \(Self.maxDepth) levels deep; flatten the column's type", offset: start)
        }
        let name = word().lowercased()
        if name.isEmpty {
            let found = atEnd ? "the end" : "\"\(chars[position])\""
            throw DataTypeParseError(message: "expected a type name, found \(found)", offset: start)
        }
        switch name {
        case "decimal", "dec", "numeric":
            guard accept("(") else { return .decimal(precision: 10, scale: 0) }
            let precision = try integer("the decimal precision")
            var scale = 0
            if accept(",") { scale = try integer("the decimal scale") }
            try expect(")", after: "to close decimal(")
            guard (1...38).contains(precision) else {
                throw DataTypeParseError(message: "decimal precision \(precision) is out of range; it must be 1 to 38", offset: start)
            }
            guard scale <= precision else {
                throw DataTypeParseError(message: "decimal scale \(scale) exceeds its precision \(precision)", offset: start)
            }
            return .decimal(precision: precision, scale: scale)
        case "varchar", "char":
            try expect("(", after: "after \(name) (its length, e.g. \(name)(64))")
            let length = try integer("the \(name) length")
            try expect(")", after: "to close \(name)(")
            guard length > 0, length <= Int(Int32.max) else {
                throw DataTypeParseError(message: "\(name) length must be from 1 to 2147483647 (Spark's bound), not \(length)", offset: start)
            }
            return name == "varchar" ? .varchar(length) : .char(length)
        case "array":
            try expect("<", after: "after array")
            let element = try type()
            let notNull = notNullSuffix()
            try expect(">", after: "to close array<")
            return .array(element: element, containsNull: !notNull)
        case "map":
            try expect("<", after: "after map")
            let key = try type()
            try expect(",", after: "between the key and value types of map<")
            let value = try type()
            let notNull = notNullSuffix()
            try expect(">", after: "to close map<")
            return .map(key: key, value: value, valueContainsNull: !notNull)
        case "struct":
            return try structType()
        default:
            if let primitive = DataType.primitiveNames[name] { return primitive }
            throw Self.unknown(name, at: start)
        }
    }

    /// An unknown type name, with Spark's name for another system's type or a near miss.
    static func unknown(_ name: String, at offset: Int) -> DataTypeParseError {
        let known = Array(DataType.primitiveNames.keys) + ["decimal", "varchar", "char", "array", "map", "struct"]
        // Other systems' names for Spark's types.
        let peers = ["int64": "bigint", "int32": "int", "int16": "smallint", "int8": "tinyint", "uint64": "decimal(20,0)",
                     "float64": "double", "float32": "float", "bool": "boolean", "text": "string", "str": "string",
                     "utf8": "string", "datetime": "timestamp", "blob": "binary", "bytes": "binary", "number": "decimal(p,s)"]
        let hint = peers[name.lowercased()].map { "; Spark calls it \($0)" } ?? Suggest.hint(for: name, in: known)
        return DataTypeParseError(message: "unknown type \"\(name)\"\(hint)", offset: offset)
    }

    /// `struct<name:T [not null] [comment 'c'], …>`, after the word `struct`.
    mutating func structType() throws(DataTypeParseError) -> DataType {
        try expect("<", after: "after struct")
        var fields: [StructField] = []
        var seen: Set<String> = []
        if accept(">") { return .struct([]) }
        repeat {
            let fieldStart = position
            let fieldName = try fieldName()
            guard seen.insert(fieldName.lowercased()).inserted else {
                throw DataTypeParseError(message: "duplicate struct field \"\(fieldName)\"", offset: fieldStart)
            }
            _ = accept(":")
            let fieldType = try type()
            let notNull = notNullSuffix()
            let comment = try commentSuffix()
            fields.append(StructField(name: fieldName, type: fieldType, nullable: !notNull, comment: comment))
        } while accept(",")
        try expect(">", after: "to close struct<")
        return .struct(fields)
    }

    mutating func fieldName() throws(DataTypeParseError) -> String {
        skipSpace()
        if accept("`") {
            var name = ""
            while position < chars.count {
                if chars[position] == "`" {
                    if position + 1 < chars.count, chars[position + 1] == "`" { name.append("`"); position += 2; continue }
                    position += 1
                    return name
                }
                name.append(chars[position]); position += 1
            }
            throw DataTypeParseError(message: "unclosed backquote in a struct field name", offset: position)
        }
        let start = position
        let name = word()
        guard !name.isEmpty else { throw DataTypeParseError(message: "expected a struct field name", offset: start) }
        return name
    }

    mutating func notNullSuffix() -> Bool {
        let save = position
        if word().lowercased() == "not", word().lowercased() == "null" { return true }
        position = save
        return false
    }

    mutating func commentSuffix() throws(DataTypeParseError) -> String? {
        let save = position
        guard word().lowercased() == "comment" else { position = save; return nil }
        skipSpace()
        guard position < chars.count, chars[position] == "'" || chars[position] == "\"" else {
            throw DataTypeParseError(message: "expected a quoted comment after COMMENT", offset: position)
        }
        let quote = chars[position]
        position += 1
        var text = ""
        while position < chars.count {
            let c = chars[position]
            if c == "\\", position + 1 < chars.count { text.append(chars[position + 1]); position += 2; continue }
            if c == quote { position += 1; return text }
            text.append(c); position += 1
        }
        throw DataTypeParseError(message: "unclosed comment string", offset: position)
    }
}
