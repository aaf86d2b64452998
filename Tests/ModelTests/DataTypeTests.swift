import Testing
@testable import Model

@Suite struct DataTypeTests {
    @Test(arguments: [
        ("bigint", DataType.long), ("LONG", .long), ("int", .integer), ("integer", .integer),
        ("smallint", .short), ("tinyint", .byte), ("string", .string), ("boolean", .boolean),
        ("double", .double), ("float", .float), ("date", .date), ("timestamp", .timestamp), ("binary", .binary),
    ])
    func primitives(text: String, type: DataType) throws {
        #expect(try DataType.parse(text) == type)
    }

    @Test func parameterizedTypes() throws {
        #expect(try DataType.parse("decimal(18,2)") == .decimal(precision: 18, scale: 2))
        #expect(try DataType.parse("DECIMAL ( 38 , 0 )") == .decimal(precision: 38, scale: 0))
        #expect(try DataType.parse("decimal") == .decimal(precision: 10, scale: 0))
        #expect(try DataType.parse("varchar(64)") == .varchar(64))
        #expect(try DataType.parse("char(3)") == .char(3))
    }

    @Test func nestedTypes() throws {
        let type = try DataType.parse("array<struct<code:string, amount:decimal(18,2) NOT NULL COMMENT 'net'>>")
        #expect(type == .array(element: .struct([
            StructField(name: "code", type: .string),
            StructField(name: "amount", type: .decimal(precision: 18, scale: 2), nullable: false, comment: "net"),
        ]), containsNull: true))
        #expect(try DataType.parse("map<string, array<bigint>>") == .map(key: .string, value: .array(element: .long, containsNull: true), valueContainsNull: true))
        #expect(try DataType.parse("struct<`weird name`: int>") == .struct([StructField(name: "weird name", type: .integer)]))
        #expect(try DataType.parse("struct<>") == .struct([]))
    }

    @Test(arguments: [
        "bigint", "decimal(18,2)", "array<string>", "map<string,bigint>",
        "struct<a:int,b:array<struct<c:string not null>>>", "struct<`a b`:int comment 'it\\'s'>",
        "array<int not null>", "varchar(10)",
    ])
    func descriptionRoundTrips(text: String) throws {
        let type = try DataType.parse(text)
        #expect(try DataType.parse(type.description) == type)
    }

    @Test func errorsSayWhatAndWhere() {
        #expect(throws: DataTypeParseError(message: "unknown type \"strng\"; did you mean \"string\"?", offset: 0)) {
            try DataType.parse("strng")
        }
        #expect {
            try DataType.parse("array<strng>")
        } throws: { error in
            let error = error as! DataTypeParseError
            return error.offset == 6 && error.message.contains("did you mean \"string\"")
        }
        #expect {
            try DataType.parse("decimal(40,2)")
        } throws: { ($0 as! DataTypeParseError).message.contains("1 to 38") }
        #expect {
            try DataType.parse("decimal(5,7)")
        } throws: { ($0 as! DataTypeParseError).message.contains("exceeds its precision") }
        #expect {
            try DataType.parse("map<string>")
        } throws: { ($0 as! DataTypeParseError).message.contains("\",\"") }
        #expect {
            try DataType.parse("array<int")
        } throws: { ($0 as! DataTypeParseError).message.contains("\">\"") }
        #expect {
            try DataType.parse("int extra")
        } throws: { ($0 as! DataTypeParseError).offset == 4 }
        #expect {
            try DataType.parse("struct<a:int,a:string>")
        } throws: { ($0 as! DataTypeParseError).message.contains("duplicate struct field") }
        #expect(throws: DataTypeParseError.self) { try DataType.parse("varchar") }
        #expect(throws: DataTypeParseError.self) { try DataType.parse("") }
    }

    @Test func widening() throws {
        #expect(DataType.integer.widens(to: .long))
        #expect(!DataType.long.widens(to: .integer))
        #expect(DataType.float.widens(to: .double))
        #expect(DataType.decimal(precision: 10, scale: 2).widens(to: .decimal(precision: 12, scale: 2)))
        #expect(!DataType.decimal(precision: 18, scale: 2).widens(to: .decimal(precision: 10, scale: 2)))
        #expect(!DataType.decimal(precision: 10, scale: 2).widens(to: .decimal(precision: 10, scale: 3)))
        #expect(DataType.varchar(10).widens(to: .string))
        #expect(!DataType.string.widens(to: .varchar(10)))
        #expect(!DataType.string.widens(to: .long))
        let old = try DataType.parse("struct<a:int>")
        #expect(old.widens(to: try DataType.parse("struct<a:bigint,b:string>")))
        #expect(!old.widens(to: try DataType.parse("struct<a:int,b:string not null>")))
        #expect(!old.widens(to: try DataType.parse("struct<b:int>")))
    }
}

@Suite struct SuggestTests {
    @Test func closestWithinReach() {
        #expect(Suggest.closest(to: "colums", in: ["columns", "comment"]) == "columns")
        #expect(Suggest.closest(to: "partitionBy", in: ["partitionedBy", "properties"]) == "partitionedBy")
        #expect(Suggest.closest(to: "zzz", in: ["columns", "comment"]) == nil)
    }

    @Test func pointerEscaping() {
        let pointer = FieldChange.pointer(["properties", "a/b~c"])
        #expect(pointer == "/properties/a~1b~0c")
        #expect(FieldChange(op: .add, path: pointer, before: nil, after: nil).segments == ["properties", "a/b~c"])
    }
}
