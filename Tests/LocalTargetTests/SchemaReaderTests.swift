import Foundation
import Model
import SparkTypes
import Synchronization
import Testing

/// A schemaString read straight into columns says what the same schema says parsed
/// first and read field by field with `structField` (as Databricks' schemas are):
/// the same columns, the same problem, or unreadable JSON for both.
@Suite struct SchemaReaderTests {
    enum Outcome: Equatable {
        case columns([Column])
        case invalid(String)
        case unreadable
    }

    /// The reading the typed reader replaced: parse, then take each field from the tree.
    func throughTree(_ text: String) -> Outcome {
        guard let parsed = try? JSONReader.parse(text) else { return .unreadable }
        guard let object = parsed as? [String: Any], object["type"] as? String == "struct", let fields = object["fields"] as? [Any] else {
            return .invalid("schemaString is not a struct type")
        }
        do throws(SparkSchema.Invalid) {
            return .columns(try fields.map { (item: Any) throws(SparkSchema.Invalid) -> Column in
                let field = try SparkSchema.structField(item)
                let metadata = (item as? [String: Any])?["metadata"] as? [String: Any]
                var column = Column(name: field.name, type: field.type, nullable: field.nullable, comment: field.comment,
                                    tags: try SparkSchema.tags(metadata?[SparkSchema.tagsKey]))
                column.mask = try SparkSchema.call(metadata?[SparkSchema.maskKey], "using", key: SparkSchema.maskKey).map { ColumnMask(function: $0.function, using: $0.columns) }
                return column
            })
        } catch {
            return .invalid(error.message)
        }
    }

    func typed(_ text: String) -> Outcome {
        do throws(SparkSchema.SchemaStringError) {
            return .columns(try SparkSchema.columns(fromSchemaString: text))
        } catch {
            switch error {
            case .unreadable: return .unreadable
            case .invalid(let invalid): return .invalid(invalid.message)
            }
        }
    }

    /// A random schema as JSON text: members in any order, some repeated, some of the
    /// wrong kind or missing, and the odd one misspelt.
    struct Schemas {
        var generator: any RandomNumberGenerator

        mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &generator) < percent }
        mutating func pick<T>(_ items: [T]) -> T { items.randomElement(using: &generator)! }

        static func quote(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }

        mutating func object(_ members: [(String, String)]) -> String {
            var members = members.shuffled(using: &generator)
            if chance(5), let some = members.first { members.append((some.0, pick(["1", "null", "\"x\"", "true"]))) }
            if chance(5), let some = members.first { members.insert((some.0, pick(["1", "null", "{}"])), at: 0) }
            if chance(10) { members.append(("other", pick(["1", "[1,{\"a\":null}]", "{\"b\":[]}", "\"é\\u00e9\""]))) }
            return "{" + members.map { Self.quote($0.0) + ":" + $0.1 }.joined(separator: pick([",", " , "])) + "}"
        }

        mutating func type(depth: Int) -> String {
            let primitives = ["integer", "long", "string", "decimal(18,2)", "decimal(38,0)", "boolean", "date", "timestamp", "timestamp_ntz", "binary", "bogus", "decimal(40,2)", "decimal(7, 3)"]
            guard depth < 4, chance(40) else { return chance(3) ? pick(["7", "[]", "null"]) : Self.quote(pick(primitives)) }
            var members: [(String, String)] = []
            switch Int.random(in: 0..<4, using: &generator) {
            case 0:
                members = [("type", "\"array\""), ("elementType", type(depth: depth + 1)), ("containsNull", pick(["true", "false", "\"no\""]))]
            case 1:
                members = [("type", "\"map\""), ("keyType", type(depth: depth + 1)), ("valueType", type(depth: depth + 1)), ("valueContainsNull", pick(["true", "false", "0"]))]
            case 2:
                members = [("type", "\"struct\""), ("fields", fields(depth: depth + 1))]
            default:
                members = [("type", pick(["\"udt\"", "5", "\"array\""]))]
            }
            if chance(10) { members.removeLast() }
            return object(members)
        }

        mutating func metadata() -> String {
            var members: [(String, String)] = []
            if chance(50) { members.append(("comment", pick(["\"a comment\"", "\"é \\\" \\\\ ok\"", "3"]))) }
            if chance(10) { members.append((SparkSchema.charVarcharKey, pick(["\"varchar(10)\"", "\"char(3)\"", "\"not a type\""]))) }
            if chance(15) { members.append((SparkSchema.tagsKey, pick([Self.quote("{\"pii\":\"email\"}"), Self.quote("{\"n\":1}"), "5", "null", Self.quote("[")]))) }
            if chance(10) { members.append((SparkSchema.maskKey, pick([Self.quote("{\"function\":\"c.s.f\",\"using\":[\"a\"]}"), Self.quote("{\"function\":\"c.s.f\"}"), Self.quote("{\"using\":[]}"), "[]"]))) }
            if chance(10) { members.append(("delta.columnMapping.id", "3")) }
            return object(members)
        }

        mutating func field(depth: Int) -> String {
            var members: [(String, String)] = []
            if !chance(4) { members.append(("name", chance(3) ? "3" : Self.quote(pick(["id", "amount", "naïve", "a b", "x"])))) }
            if !chance(4) { members.append(("type", type(depth: depth))) }
            if chance(70) { members.append(("nullable", pick(["true", "false", "\"yes\"", "1", "null"]))) }
            if chance(80) { members.append(("metadata", chance(5) ? pick(["\"m\"", "[]"]) : metadata())) }
            return chance(2) ? pick(["\"field\"", "[]", "1"]) : object(members)
        }

        mutating func fields(depth: Int) -> String {
            if chance(3) { return pick(["{}", "\"none\"", "null"]) }
            return "[" + (0..<Int.random(in: 0...4, using: &generator)).map { _ in field(depth: depth) }.joined(separator: ",") + "]"
        }

        mutating func schema() -> String {
            var members: [(String, String)] = [("type", chance(3) ? "\"array\"" : "\"struct\""), ("fields", fields(depth: 0))]
            if chance(3) { members.removeFirst() }
            var text = object(members)
            if chance(5) { text = String(text.prefix(Int.random(in: 0..<text.count, using: &generator))) }
            if chance(2) { text += pick([" ", "x", "}", "\n"]) }
            return text
        }
    }

    @Test func agreesWithTheParsedTreeOnTenThousandSchemas() {
        var schemas = Schemas(generator: SystemRandomNumberGenerator())
        var seen: [String: Int] = [:]
        for _ in 0..<10_000 {
            let text = schemas.schema()
            let expected = throughTree(text)
            #expect(typed(text) == expected, "\(text)")
            switch expected {
            case .columns(let columns): seen[columns.isEmpty ? "empty" : "columns", default: 0] += 1
            case .invalid: seen["invalid", default: 0] += 1
            case .unreadable: seen["unreadable", default: 0] += 1
            }
        }
        // The generator reaches every outcome, often.
        #expect(["columns", "empty", "invalid", "unreadable"].allSatisfy { seen[$0, default: 0] > 100 }, "\(seen)")
    }

    @Test func readsWhatDeltaWrites() throws {
        let columns = [
            Column(name: "id", type: .long, nullable: false, comment: "the key"),
            Column(name: "tags", type: .map(key: .string, value: .string, valueContainsNull: true)),
            Column(name: "items", type: .array(element: .struct([StructField(name: "sku", type: .string, nullable: true, comment: nil),
                                                                 StructField(name: "quantity", type: .integer, nullable: false, comment: "how many")]),
                                               containsNull: false)),
            Column(name: "amount", type: .decimal(precision: 18, scale: 2)),
            Column(name: "code", type: .varchar(10)),
        ]
        let text = String(decoding: try JSONWriter.data(SparkSchema.json(columns: columns)), as: UTF8.self)
        #expect(typed(text) == .columns(columns))
        #expect(typed(text) == throughTree(text))
    }

    /// `decimal(p,s)` is read on bytes; every other spelling goes to the type parser.
    @Test func decimalNames() throws {
        for precision in 1...38 {
            for scale in Set([0, precision / 2, precision]) {
                #expect(try SparkSchema.dataType(named: "decimal(\(precision),\(scale))") == .decimal(precision: precision, scale: scale))
            }
        }
        #expect(try SparkSchema.dataType(named: "decimal(7, 3)") == .decimal(precision: 7, scale: 3), "a space: the type parser")
        for bad in ["decimal(0,0)", "decimal(39,2)", "decimal(5,6)", "decimal(,2)", "decimal(5,)", "decimal(5;2)", "decimal(5,2", "decimal(5,2)x", "decimal(123,2)", "decimal(-5,2)"] {
            #expect(throws: SparkSchema.Invalid.self, "\(bad)") { try SparkSchema.dataType(named: bad) }
        }
    }

    /// A schema nested past the JSON reader's bound is unreadable, and one nested as
    /// deep as the bound allows is read, on the worker threads observation runs on.
    @Test func deepTypesAreBoundedOnWorkerThreads() {
        var array = "\"long\""
        for _ in 0..<600 { array = "{\"type\":\"array\",\"elementType\":\(array),\"containsNull\":true}" }
        var nested = "\"long\""
        for level in 0..<160 { nested = "{\"type\":\"struct\",\"fields\":[{\"name\":\"f\(level)\",\"type\":\(nested)}]}" }
        let outcomes = Mutex<[Int: Outcome]>([:])
        let types = [array, nested]
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            let type = types[index]
            let outcome = typed("{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\(type)}]}")
            outcomes.withLock { $0[index] = outcome }
        }
        let results = outcomes.withLock { $0 }
        #expect(results[0] == .unreadable)
        guard case .columns(let columns)? = results[1] else { Issue.record("\(String(describing: results[1]))"); return }
        var depth = 0
        var type = columns.first?.type
        while case .struct(let fields)? = type { depth += 1; type = fields.first?.type }
        #expect(depth == 160 && type == .long)
    }

    @Test func problemsAreNamed() {
        #expect(typed(#"{"type":"struct","fields":[{"type":"long"}]}"#) == .invalid("a schema field lacks a name or type"))
        #expect(typed(#"{"type":"struct","fields":[{"name":"a","type":"udt"}]}"#) == .invalid("unknown type \"udt\" in the schema"))
        #expect(typed(#"{"type":"struct","fields":[{"name":"a","type":{"type":"array"}}]}"#) == .invalid("an array type lacks elementType"))
        #expect(typed(#"{"type":"array","fields":[]}"#) == .invalid("schemaString is not a struct type"))
        #expect(typed(#"{"type":"struct","fields":[{"name":"a","type":"udt"}"#) == .unreadable, "JSON cut short: unreadable, whatever it said before")
        #expect(typed(String(repeating: "[", count: 10_000)) == .unreadable, "nesting is bounded")
    }
}
