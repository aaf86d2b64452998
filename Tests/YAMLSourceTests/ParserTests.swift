import Testing
@testable import YAMLSource

@Suite struct ParserTests {
    @Test func marksAreOneBased() throws {
        let docs = try YAMLParser.parse("""
        apiVersion: reconcile/v1
        spec:
          columns:
            - name: id
              type: bigint
        """, path: "t.yaml")
        let root = try #require(docs.first?.root)
        #expect(root.mark == Mark(line: 1, column: 1))
        let column = try #require(root["spec"]?["columns"]?.items?.first)
        #expect(column.mark == Mark(line: 4, column: 7))
        let type = try #require(column["type"])
        #expect(type.mark == Mark(line: 5, column: 13))
        #expect(type.scalarText == "bigint")
    }

    @Test func severalDocumentsPerFile() throws {
        let docs = try YAMLParser.parse("a: 1\n---\nb: 2\n---\n", path: "t.yaml")
        // The trailing `---` opens a third, empty document.
        #expect(docs.count == 3)
        #expect(docs[2].root == nil)
        #expect(docs[1].root?["b"]?.scalar == .int(2))
        #expect(docs[1].index == 1)
        #expect(docs[1].root?.mark.line == 3)
    }

    @Test func anchorsAliasesAndMergeKeys() throws {
        let docs = try YAMLParser.parse("""
        base: &base
          owner: team
          comment: shared
        copy: *base
        merged:
          <<: *base
          comment: own
        """, path: "t.yaml")
        let root = try #require(docs.first?.root)
        #expect(root["copy"]?["owner"]?.scalarText == "team")
        #expect(root["merged"]?["comment"]?.scalarText == "own")
        #expect(root["merged"]?["owner"]?.scalarText == "team")
        #expect(root["merged"]?.pairs?.count == 2)
    }

    /// Past 32 keys a mapping's duplicate check uses an index: a key two merge sources
    /// share is still taken once, from the first source.
    @Test func mergeSourcesSharingAKeyInALargeMapping() throws {
        let own = (0..<40).map { "  k\($0): \($0)" }.joined(separator: "\n")
        let docs = try YAMLParser.parse("""
        a: &a { shared: first, onlyA: 1 }
        b: &b { shared: second, onlyB: 2 }
        big:
          <<: [*a, *b]
        \(own)
        """, path: "t.yaml")
        let big = try #require(docs.first?.root?["big"])
        #expect(big.pairs?.count == 43)
        #expect(big.pairs?.filter { $0.key.scalarText == "shared" }.count == 1)
        #expect(big["shared"]?.scalarText == "first")
        #expect(big["k39"]?.scalarText == "39")
    }

    /// Collections nested in collections keep their own items, in order.
    @Test func nestedCollectionsKeepTheirItems() throws {
        let docs = try YAMLParser.parse("""
        outer:
          - [1, [2, 3], 4]
          - { x: [5, { y: 6, z: [] }], w: {} }
          - 7
        after: 8
        """, path: "t.yaml")
        let root = try #require(docs.first?.root)
        let outer = try #require(root["outer"]?.items)
        #expect(outer.count == 3)
        #expect(outer[0].items?.map { $0.scalarText ?? "[\($0.items?.count ?? -1)]" } == ["1", "[2]", "4"])
        #expect(outer[0].items?[1].items?.map(\.scalarText) == ["2", "3"])
        #expect(outer[1].pairs?.map(\.key.scalarText) == ["x", "w"])
        #expect(outer[1]["x"]?.items?[1]["z"]?.items?.count == 0)
        #expect(outer[1]["w"]?.pairs?.count == 0)
        #expect(outer[2].scalarText == "7")
        #expect(root["after"]?.scalarText == "8")
    }

    /// A subtree knows whether any scalar in it has `${`, and learns it again when its
    /// content is replaced (substitution skips the subtrees without one).
    @Test func subtreesKnowWhetherTheyMayReference() throws {
        let docs = try YAMLParser.parse("""
        metadata: { name: "${var.catalog}.s.t" }
        spec:
          columns: [{ name: id, comment: "costs $5 {each}" }]
          dollars: "$${literal}"
        """, path: "t.yaml")
        var root = try #require(docs.first?.root)
        #expect(root.mayReference)
        #expect(root["metadata"]?.mayReference == true)
        #expect(root["spec"]?["columns"]?.mayReference == false)
        #expect(root["spec"]?["dollars"]?.mayReference == true)
        var spec = try #require(root["spec"])
        spec.content = .mapping([])
        #expect(!spec.mayReference)
        root.content = .mapping([Node.Pair(key: Node(.scalar("spec", .plain), mark: root.mark), value: spec)])
        #expect(!root.mayReference)
        root.content = .sequence([Node(.scalar("a ${b}", .plain), mark: root.mark)])
        #expect(root.mayReference)
        // The flag and an explicit tag share one word; neither disturbs the other.
        root.tag = "!custom"
        #expect(root.mayReference && root.tag == "!custom")
        root.content = .mapping([])
        #expect(!root.mayReference && root.tag == "!custom")
        root.tag = nil
        #expect(root.tag == nil && !root.mayReference)
        #expect(MemoryLayout<Node>.size <= 48)
    }

    /// A key is looked up by its exact length and text: a KELVIN SIGN equals "K" as a
    /// Swift string, but it is not the key "K" (and the unknown-field check, which uses
    /// the same test, then reports it instead of passing it over).
    @Test func keysAreLookedUpByLengthAndText() throws {
        #expect("\u{212A}" == "K", "canonically equivalent")
        #expect(!Node.sameKey("\u{212A}", "K"))
        #expect(Node.sameKey("kind", "kind") && !Node.sameKey("kind", "kinds") && !Node.sameKey("kinx", "kind"))
        let root = try #require(try YAMLParser.parse("\u{212A}ey: 1\nname: x\n", path: "k.yaml").first?.root)
        #expect(root["Key"] == nil)
        #expect(root["\u{212A}ey"]?.scalarText == "1")
        #expect(root["name"]?.scalarText == "x")
    }

    @Test func duplicateKeyIsAnErrorAtTheSecondKey() {
        #expect {
            _ = try YAMLParser.parse("name: a\nspec: {}\nname: b\n", path: "dup.yaml")
        } throws: { error in
            let error = error as! YAMLError
            return error.mark == Mark(line: 3, column: 1) && error.message.contains("duplicate key \"name\"")
                && error.message.contains("line 1") && error.path == "dup.yaml"
        }
    }

    @Test func syntaxErrorHasPosition() {
        #expect {
            _ = try YAMLParser.parse("a: [1, 2\nb: 3\n", path: "bad.yaml")
        } throws: { error in
            let error = error as! YAMLError
            return error.path == "bad.yaml" && error.mark.line == 2 && !error.message.isEmpty
        }
    }

    @Test func tabIndentationIsNamed() {
        #expect {
            _ = try YAMLParser.parse("spec:\n\tcomment: x\n", path: "tab.yaml")
        } throws: { error in
            let error = error as! YAMLError
            return error.mark == Mark(line: 2, column: 1) && error.message.contains("tab")
        }
    }

    @Test func unknownAliasIsAnError() {
        #expect(throws: YAMLError.self) { _ = try YAMLParser.parse("a: *nope\n", path: "t.yaml") }
    }

    @Test func scalarsResolveByTheCoreSchema() throws {
        let root = try #require(try YAMLParser.parse("""
        plainTrue: true
        quotedTrue: "true"
        int: 42
        negative: -7
        float: 1.5
        nothing: ~
        empty:
        text: hello world
        version: 1.2.3
        """, path: "t.yaml").first?.root)
        #expect(root["plainTrue"]?.scalar == .bool(true))
        #expect(root["quotedTrue"]?.scalar == .string("true"))
        #expect(root["int"]?.scalar == .int(42))
        #expect(root["negative"]?.scalar == .int(-7))
        #expect(root["float"]?.scalar == .double(1.5))
        #expect(root["nothing"]?.scalar == .null)
        #expect(root["empty"]?.scalar == .null)
        #expect(root["text"]?.scalar == .string("hello world"))
        #expect(root["version"]?.scalar == .string("1.2.3"))
    }

    /// Every spelling the core schema gives a null, a boolean or a number, and the
    /// near misses that stay strings (resolution decides most scalars by one byte).
    @Test(arguments: [
        ("~", Node.Scalar.null), ("null", .null), ("Null", .null), ("NULL", .null), ("nULL", .string("nULL")), ("nulls", .string("nulls")),
        ("n", .string("n")), ("N", .string("N")), ("~x", .string("~x")),
        ("true", .bool(true)), ("True", .bool(true)), ("TRUE", .bool(true)), ("tRUE", .string("tRUE")), ("t", .string("t")), ("truely", .string("truely")),
        ("false", .bool(false)), ("False", .bool(false)), ("FALSE", .bool(false)), ("f", .string("f")), ("Falsey", .string("Falsey")),
        ("0", .int(0)), ("+12", .int(12)), ("-3", .int(-3)), ("0x1F", .int(31)), ("0o17", .int(15)), (".5", .double(0.5)), ("-1e3", .double(-1000)),
        (".inf", .double(.infinity)), ("-.Inf", .double(-.infinity)), ("1.2.3", .string("1.2.3")), ("-x", .string("-x")), ("+x", .string("+x")),
        ("yes", .string("yes")), ("on", .string("on")), ("word", .string("word")),
    ])
    func plainScalarsResolveByTheCoreSchema(text: String, expected: Node.Scalar) throws {
        let root = try #require(try YAMLParser.parse("value: \(text)\n", path: "t.yaml").first?.root)
        #expect(root["value"]?.scalar == expected)
        let tagged = try #require(try YAMLParser.parse("value: !!str \(text)\n", path: "t.yaml").first?.root)
        #expect(tagged["value"]?.scalar == .string(text))
    }

    @Test func emptyStreamHasNoDocuments() throws {
        #expect(try YAMLParser.parse("", path: "t.yaml").isEmpty)
        #expect(try YAMLParser.parse("# only a comment\n", path: "t.yaml").isEmpty)
    }
}
