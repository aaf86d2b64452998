import Model

/// A Delta `schemaString` read straight into columns, without building `[String: Any]`
/// first: observing a table reads its schema, and that tree cost as much as the rest
/// of the observation. It takes what `structField` and `dataType` take from a parsed
/// value, field by field (`SchemaReaderTests` compares the two on the same schemas).
extension SparkSchema {
    /// What stopped a schemaString from being read: its JSON, or what the JSON says.
    public enum SchemaStringError: Error {
        case unreadable(JSONReader.Failure)
        case invalid(Invalid)
    }

    public static func columns(fromSchemaString text: String) throws(SchemaStringError) -> [Column] {
        var text = text
        do {
            return try text.withUTF8 { utf8 in
                var reader = SchemaReader(reader: JSONReader.Reader(bytes: UnsafeRawBufferPointer(utf8)))
                return try reader.document()
            }
        } catch let failure as JSONReader.Failure {
            throw .unreadable(failure)
        } catch let invalid as Invalid {
            throw .invalid(invalid)
        } catch {
            throw .invalid(Invalid(message: "\(error)"))
        }
    }
}

/// Walks a schemaString's JSON. Keys may come in any order and repeat (the last one
/// counts, as in a parsed object); keys it does not know are read and checked.
struct SchemaReader {
    var reader: JSONReader.Reader

    mutating func document() throws -> [Column] {
        reader.skipSpace()
        guard reader.current == UInt8(ascii: "{") else {
            _ = try reader.value(depth: 0)
            try reader.end()
            throw SparkSchema.Invalid(message: "schemaString is not a struct type")
        }
        var kind: String?
        var fields: Result<[Column], SparkSchema.Invalid>?
        var first = true
        try reader.beginObject(depth: 0)
        while let key = try reader.nextKey(&first) {
            switch key {
            case "type": kind = try reader.stringOrSkip(depth: 1)
            case "fields": fields = try columns(depth: 1)
            default: _ = try reader.value(depth: 1)
            }
        }
        try reader.end()
        guard kind == "struct", let fields else { throw SparkSchema.Invalid(message: "schemaString is not a struct type") }
        return try fields.get()
    }


    /// The top-level fields as columns, or the first field's problem; nil when
    /// `fields` is not an array. The whole array is read either way: a problem is
    /// what the JSON says, thrown once the JSON is known to be whole.
    private mutating func columns(depth: Int) throws -> Result<[Column], SparkSchema.Invalid>? {
        guard reader.current == UInt8(ascii: "[") else {
            _ = try reader.value(depth: depth)
            return nil
        }
        var columns: [Column] = []
        var problem: SparkSchema.Invalid?
        var first = true
        try reader.beginArray(depth: depth)
        while try reader.nextItem(&first) {
            let field = try self.field(depth: depth + 1)
            guard problem == nil else { continue }
            do throws(SparkSchema.Invalid) {
                let field = try field.get()
                var column = Column(name: field.name, type: field.type, nullable: field.nullable, comment: field.comment,
                                    tags: try SparkSchema.tags(field.metadata.tags))
                column.mask = try SparkSchema.call(field.metadata.mask, "using", key: SparkSchema.maskKey).map { ColumnMask(function: $0.function, using: $0.columns) }
                columns.append(column)
            } catch {
                problem = error
            }
        }
        return problem.map { .failure($0) } ?? .success(columns)
    }

    /// What a field's `metadata` holds that a column keeps.
    struct Metadata {
        var comment: String?
        var declaredType: String?
        var tags: Any?
        var mask: Any?
    }

    struct Field {
        var name: String
        var type: DataType
        var nullable: Bool
        var comment: String?
        var metadata: Metadata
    }

    /// The field at the cursor, read whole, or what is wrong with it.
    private mutating func field(depth: Int) throws(JSONReader.Failure) -> Result<Field, SparkSchema.Invalid> {
        guard reader.current == UInt8(ascii: "{") else {
            _ = try reader.value(depth: depth)
            return .failure(SparkSchema.Invalid(message: "a schema field lacks a name or type"))
        }
        var name: String?
        var type: Result<DataType, SparkSchema.Invalid>?
        var nullable: Bool?
        var metadata = Metadata()
        var first = true
        try reader.beginObject(depth: depth)
        while let key = try reader.nextKey(&first) {
            switch key {
            case "name": name = try reader.stringOrSkip(depth: depth + 1)
            // A field whose name is missing is reported as such even when its type is
            // also wrong, as `structField` does: the type's problem waits.
            case "type": type = try dataType(depth: depth + 1)
            case "nullable": nullable = try reader.boolOrSkip(depth: depth + 1)
            case "metadata": metadata = try self.metadata(depth: depth + 1)
            default: _ = try reader.value(depth: depth + 1)
            }
        }
        guard let name, let type else { return .failure(SparkSchema.Invalid(message: "a schema field lacks a name or type")) }
        return type.map { type in
            var resolved = type
            if let declared = metadata.declaredType, let parsed = try? DataType.parse(declared) { resolved = parsed }
            return Field(name: name, type: resolved, nullable: nullable ?? true, comment: metadata.comment, metadata: metadata)
        }
    }

    private mutating func metadata(depth: Int) throws(JSONReader.Failure) -> Metadata {
        var metadata = Metadata()
        guard reader.current == UInt8(ascii: "{") else {
            _ = try reader.value(depth: depth)
            return metadata
        }
        var first = true
        try reader.beginObject(depth: depth)
        while let key = try reader.nextKey(&first) {
            switch key {
            case "comment": metadata.comment = try reader.stringOrSkip(depth: depth + 1)
            case SparkSchema.charVarcharKey: metadata.declaredType = try reader.stringOrSkip(depth: depth + 1)
            case SparkSchema.tagsKey: metadata.tags = try reader.value(depth: depth + 1)
            case SparkSchema.maskKey: metadata.mask = try reader.value(depth: depth + 1)
            default: _ = try reader.value(depth: depth + 1)
            }
        }
        return metadata
    }

    /// The type at the cursor (a name, or an array, map or struct object), read whole,
    /// or what is wrong with it.
    private mutating func dataType(depth: Int) throws(JSONReader.Failure) -> Result<DataType, SparkSchema.Invalid> {
        if reader.current == UInt8(ascii: "\"") {
            let name = try reader.string()
            return Result { () throws(SparkSchema.Invalid) in try SparkSchema.dataType(named: name) }
        }
        guard reader.current == UInt8(ascii: "{") else {
            _ = try reader.value(depth: depth)
            return .failure(SparkSchema.Invalid(message: "a schema type is neither a name nor an object"))
        }
        var kind: String?
        var parts: [String: Result<DataType, SparkSchema.Invalid>] = [:]
        var flags: [String: Bool?] = [:]
        var fields: Result<[StructField], SparkSchema.Invalid>?
        var first = true
        try reader.beginObject(depth: depth)
        while let key = try reader.nextKey(&first) {
            switch key {
            case "type": kind = try reader.stringOrSkip(depth: depth + 1)
            case "elementType", "keyType", "valueType": parts[key] = try dataType(depth: depth + 1)
            case "containsNull", "valueContainsNull": flags[key] = try reader.boolOrSkip(depth: depth + 1)
            case "fields": fields = try structFields(depth: depth + 1)
            default: _ = try reader.value(depth: depth + 1)
            }
        }
        return Result { () throws(SparkSchema.Invalid) -> DataType in
            guard let kind else { throw SparkSchema.Invalid(message: "a schema type is neither a name nor an object") }
            switch kind {
            case "array":
                guard let element = parts["elementType"] else { throw SparkSchema.Invalid(message: "an array type lacks elementType") }
                return .array(element: try element.get(), containsNull: (flags["containsNull"] ?? nil) ?? true)
            case "map":
                guard let key = parts["keyType"], let value = parts["valueType"] else { throw SparkSchema.Invalid(message: "a map type lacks keyType or valueType") }
                return .map(key: try key.get(), value: try value.get(), valueContainsNull: (flags["valueContainsNull"] ?? nil) ?? true)
            case "struct":
                guard let fields else { throw SparkSchema.Invalid(message: "a struct type lacks fields") }
                return .struct(try fields.get())
            default:
                throw SparkSchema.Invalid(message: "unknown type \"\(kind)\" in the schema")
            }
        }
    }

    /// A nested struct's fields, read whole, or the first one's problem; a `fields`
    /// that is not an array is the missing-fields problem.
    private mutating func structFields(depth: Int) throws(JSONReader.Failure) -> Result<[StructField], SparkSchema.Invalid> {
        guard reader.current == UInt8(ascii: "[") else {
            _ = try reader.value(depth: depth)
            return .failure(SparkSchema.Invalid(message: "a struct type lacks fields"))
        }
        var fields: [StructField] = []
        var problem: SparkSchema.Invalid?
        var first = true
        try reader.beginArray(depth: depth)
        while try reader.nextItem(&first) {
            switch try self.field(depth: depth + 1) {
            case .success(let field):
                fields.append(StructField(name: field.name, type: field.type, nullable: field.nullable, comment: field.comment))
            case .failure(let invalid):
                if problem == nil { problem = invalid }
            }
        }
        return problem.map { .failure($0) } ?? .success(fields)
    }
}
