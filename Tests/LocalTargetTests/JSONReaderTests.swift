import Foundation
import SparkTypes
import Testing

/// The JSON reader that observes Delta logs agrees with JSONSerialization, is strict,
/// and is bounded.
@Suite struct JSONReaderTests {
    /// Both parsed values written back by JSONSerialization, keys sorted.
    func canonical(_ value: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: ["v": value], options: [.sortedKeys, .fragmentsAllowed]), as: UTF8.self)
    }

    func random(_ generator: inout some RandomNumberGenerator, depth: Int) -> Any {
        let pieces = ["a", "é", "日本", "😀", "\"", "\\", "/", "\n", "\t", "\u{7f}", "x y", "\u{1}", ""]
        switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &generator) {
        case 0: return Int.random(in: -1_000_000_000_000...1_000_000_000_000, using: &generator)
        case 1: return Double(Int.random(in: -100_000...100_000, using: &generator)) / 64
        case 2: return (0..<Int.random(in: 0...4, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
        case 3: return Bool.random(using: &generator)
        case 4: return NSNull()
        case 5: return (0..<Int.random(in: 0...4, using: &generator)).map { _ in random(&generator, depth: depth + 1) }
        default:
            var object: [String: Any] = [:]
            for index in 0..<Int.random(in: 0...4, using: &generator) { object["k\(index)\(pieces.randomElement(using: &generator)!)"] = random(&generator, depth: depth + 1) }
            return object
        }
    }

    @Test func agreesWithJSONSerializationOnAThousandDocuments() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<1000 {
            let value = ["doc": random(&generator, depth: 0)]
            let data = try JSONSerialization.data(withJSONObject: value, options: [])
            let ours = try JSONReader.parse(data)
            let theirs = try JSONSerialization.jsonObject(with: data)
            #expect(try canonical(ours) == canonical(theirs), "\(String(decoding: data, as: UTF8.self))")
        }
        let written = #"{"add":{"path":"a\u00e9\ud83d\ude00.parquet","size":12,"stats":"{\"numRecords\":3}","dataChange":true,"x":-1.5e3,"n":null}}"#
        let parsed = try #require(try JSONReader.parse(written) as? [String: Any])
        let add = try #require(parsed["add"] as? [String: Any])
        #expect(add["path"] as? String == "aé😀.parquet")
        #expect(add["size"] as? Int == 12 && add["dataChange"] as? Bool == true && add["x"] as? Double == -1500 && add["n"] is NSNull)
        #expect(((try JSONReader.parse(add["stats"] as! String)) as? [String: Any])?["numRecords"] as? Int == 3)
        #expect(try JSONReader.parse("9223372036854775808") as? Double == 9223372036854775808, "past Int: a Double")
        #expect(try JSONReader.parse(" -0 ") as? Int == 0)
    }

    @Test func refusesWhatIsNotJSON() {
        let bad = ["", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "+1", "\"\\x\"", "\"\u{01}\"", "tru", "nul", "[1 2]", "\"\\ud800\"",
                   "\"\\udc00\"", "1 2", "{\"a\" 1}", "{a:1}", "'a'", "[1]]", "\"abc", "1e", "NaN", "Infinity", "1e999"]
        for text in bad {
            #expect(throws: JSONReader.Failure.self, "\(text.debugDescription)") { try JSONReader.parse(text) }
        }
        #expect(throws: JSONReader.Failure.self, "invalid UTF-8") { try JSONReader.parse(Data([0x22, 0xFF, 0x22])) }
    }

    @Test func nestingIsBounded() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect { try JSONReader.parse(deep) } throws: { ($0 as? JSONReader.Failure)?.message.contains("nested more than 512") == true }
        let fine = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(try JSONReader.parse(fine) is [Any])
    }
}

/// The writer Delta commits go through: what it writes, JSONSerialization and our reader
/// read back as the same value; keys sorted; only `"`, `\` and control characters escaped.
@Suite struct JSONWriterTests {
    @Test func writesWhatReadersReadBack() throws {
        let value: [String: Any] = [
            "metaData": ["schemaString": "{\"fields\":[]}", "configuration": ["delta.appendOnly": "false"], "partitionColumns": [String](),
                         "createdTime": 1796600014253, "id": "f41ff344", "format": ["options": [String: String](), "provider": "parquet"]],
            "text": "a \"quoted\" \\ back/slash\n\t\r\u{8}\u{c}\u{1}\u{1f} é 日本 😀",
            "flags": [true, false], "numbers": [0, -1, Int.max, 1.5, -2.25e-7], "nothing": NSNull(),
        ]
        let written = try JSONWriter.data(value)
        let text = String(decoding: written, as: UTF8.self)
        #expect(text.hasPrefix("{\"flags\":[true,false],\"metaData\":{\"configuration\""), "keys sorted: \(text)")
        #expect(text.contains("back/slash") && text.contains("\\u0001") && text.contains("\\u001f") && text.contains("é 日本 😀"))
        for reread in [try JSONReader.parse(Data(written)), try JSONSerialization.jsonObject(with: Data(written))] {
            let object = try #require(reread as? [String: Any])
            #expect(object["text"] as? String == value["text"] as? String)
            #expect((object["flags"] as? [Bool]) == [true, false])
            let numbers = try #require(object["numbers"] as? [Any])
            #expect(numbers.count == 5 && (numbers[2] as? Int) == Int.max && (numbers[4] as? Double) == -2.25e-7)
            #expect(object["nothing"] is NSNull)
            #expect(((object["metaData"] as? [String: Any])?["createdTime"] as? Int) == 1796600014253)
        }
        #expect(try JSONWriter.data(value) == written, "the same value, the same bytes")
    }

    @Test func valuesWithoutAJSONFormAreErrors() {
        #expect(throws: JSONWriter.Failure.self) { try JSONWriter.data(["x": Double.nan]) }
        #expect(throws: JSONWriter.Failure.self) { try JSONWriter.data(["x": Date()]) }
        #expect(throws: JSONWriter.Failure.self) { try JSONWriter.data(["x": Optional<String>.none as Any]) }
        var deep: Any = 1
        for _ in 0..<600 { deep = [deep] }
        #expect(throws: JSONWriter.Failure.self) { try JSONWriter.data(deep) }
    }
}
