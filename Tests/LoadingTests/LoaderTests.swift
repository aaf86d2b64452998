import Testing
import Model
@testable import Loading

let devEnvironment = """
apiVersion: reconcile/v1
kind: Environment
metadata: { name: dev }
spec:
  target: { type: local, path: .lakehouse/dev }
  variables: { catalog: main, retention: interval 7 days }
  policy: { destructive: deny, prune: false }
"""

let goodTable = """
apiVersion: reconcile/v1
kind: Table
metadata:
  name: ${var.catalog}.silver.orders
  labels: { layer: silver }
spec:
  comment: Orders
  columns:
    - { name: id, type: bigint, nullable: false, comment: key }
    - { name: day, type: date }
    - { name: tags, type: "array<string>" }
  partitionedBy: [day]
  properties:
    delta.appendOnly: true
    delta.logRetentionDuration: ${var.retention}
  constraints:
    positive_id: id > 0
"""

func source(_ files: [String: String]) -> SourceSet {
    SourceSet(revision: "0123456789abcdef", shortRevision: "0123456",
              files: files.sorted { $0.key < $1.key }.map { SourceFile(path: $0.key, bytes: Array($0.value.utf8)) })
}

/// Loads `manifest` as manifests/m.yaml for dev and returns the resources and diagnostics.
func render(_ manifest: String, extra: [String: String] = [:]) -> DesiredState {
    let loaded = Loader.load(source(["environments/dev.yaml": devEnvironment, "manifests/m.yaml": manifest].merging(extra) { $1 }))
    guard let environment = try? Loader.environment("dev", in: loaded) else {
        // A broken environment file is not rendered at all: only its errors come back.
        return DesiredState(environment: Environment(name: "dev", target: .local(path: ".lakehouse/dev")), revision: "", shortRevision: "",
                            resources: [], diagnostics: loaded.brokenEnvironments["dev"] ?? [], libraries: [])
    }
    var state = Loader.render(loaded, for: environment)
    state.diagnostics = loaded.diagnostics.filter { $0.location?.path.hasPrefix("environments/") ?? false } + state.diagnostics
    return state
}

@Suite struct LoaderTests {
    @Test func decodesATableRenderedForTheEnvironment() throws {
        let state = render(goodTable)
        #expect(state.diagnostics.isEmpty)
        let table = try #require(state.resources.first)
        #expect(table.id.description == "Table/main.silver.orders")
        #expect(table.origin == SourceLocation(path: "manifests/m.yaml", line: 1, column: 1))
        #expect(table.labels == ["layer": "silver"])
        #expect(table.table == TableSpec(
            comment: "Orders",
            columns: [Column(name: "id", type: .long, nullable: false, comment: "key"), Column(name: "day", type: .date),
                      Column(name: "tags", type: .array(element: .string, containsNull: true))],
            partitionedBy: ["day"],
            properties: ["delta.appendOnly": "true", "delta.logRetentionDuration": "interval 7 days"],
            constraints: ["positive_id": "id > 0"]))
    }

    @Test func decodesTheEnvironment() throws {
        let loaded = Loader.load(source(["environments/dev.yaml": devEnvironment]))
        let environment = try Loader.environment("dev", in: loaded)
        #expect(environment.target == .local(path: ".lakehouse/dev"))
        #expect(environment.variables == ["catalog": "main", "retention": "interval 7 days"])
        #expect(environment.policy == Policy(destructive: .deny, prune: false))
    }

    @Test func unknownEnvironmentSuggestsTheClosest() {
        let loaded = Loader.load(source(["environments/dev.yaml": devEnvironment]))
        #expect {
            try Loader.environment("deb", in: loaded)
        } throws: { error in
            (error as! DiagnosticsError).diagnostics[0].message.contains("did you mean \"dev\"")
        }
    }

    /// Each broken manifest, with the position and words its first error must have.
    @Test(arguments: [
        ("kind: Tabel", "2:7", "unknown kind \"Tabel\"; did you mean \"Table\"?"),
        ("  colums: []", "6:3", "unknown field \"spec.colums\"; did you mean \"columns\"?"),
        ("    - { name: id, type: strng }", "8:25", "invalid type \"strng\": unknown type \"strng\"; did you mean \"string\"?"),
        ("    - { name: id, type: \"map<string,strng>\" }", "8:37", "unknown type \"strng\""),
        ("    - { name: id, type: int, nullable: maybe }", "8:40", "spec.columns[0].nullable must be true or false, not a string \"maybe\""),
        ("    - { name: 1d, type: int }", "8:15", "invalid column name \"1d\""),
        ("  comment: [a]", "6:12", "spec.comment must be a string, not a list"),
        ("  partitionedBy: [nope]", "6:19", "partition column \"nope\" is not among the columns"),
        ("  colour: red", "6:3", "unknown field \"spec.colour\""),
        ("    - { name: id, type: int, default: 0 }", "8:30", "unknown field \"spec.columns[0].default\"; known fields here: name, type, nullable, comment, renamedFrom, tags, mask"),
        ("    - { name: id, type: int, nulable: false }", "8:30", "unknown field \"spec.columns[0].nulable\"; did you mean \"nullable\"?"),
        ("  name: main.silver", "4:9", "metadata.name must be the full name \"catalog.schema.table\""),
        ("  name: ${var.catalgo}.s.t", "4:9", "unknown variable \"catalgo\": environment \"dev\" has no spec.variables.catalgo; did you mean \"catalog\"?"),
        ("  properties: { delta.appendOnyl: \"true\" }", "6:17", "unknown Delta property \"delta.appendOnyl\"; did you mean \"delta.appendOnly\"?"),
    ])
    func brokenManifestsAreReportedWithPositions(line: String, position: String, message: String) throws {
        let manifest = """
        apiVersion: reconcile/v1
        kind: Table
        metadata:
          name: main.silver.orders
        spec:
          comment: x
          columns:
            - { name: id, type: int }
        """
        var lines = manifest.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let key = line.trimmingCharacters(in: .whitespaces).split(separator: ":").first.map(String.init) ?? ""
        if let index = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(key + ":") && !line.hasPrefix("    - ") }) {
            lines[index] = line
        } else if line.hasPrefix("    - ") {
            lines[7] = line
        } else {
            lines.insert(line, at: 5)
        }
        let state = render(lines.joined(separator: "\n"))
        let diagnostic = try #require(state.diagnostics.first, "no error for \(line)")
        #expect("\(diagnostic.location!.line):\(diagnostic.location!.column)" == position, "\(diagnostic)")
        #expect(diagnostic.message.contains(message), "\(diagnostic)")
    }

    @Test func everyErrorIsReportedTogether() {
        let state = render("""
        apiVersion: reconcile/v1
        kind: Table
        metadata: { name: main.s.t }
        spec:
          colums: []
          columns:
            - { name: a, type: strng }
            - { name: b, type: int }
            - { name: B, type: int }
            - { name: c }
        """)
        let messages = state.diagnostics.map(\.message)
        #expect(messages.count == 4, "\(messages)")
        #expect(messages.contains { $0.contains("unknown field \"spec.colums\"; did you mean \"columns\"?") })
        #expect(messages.contains { $0.contains("unknown type \"strng\"") })
        #expect(messages.contains { $0.contains("missing required field \"spec.columns[3].type\"") })
        #expect(messages.contains { $0.contains("duplicate column \"B\" (first declared at line 8)") })
        #expect(state.diagnostics.allSatisfy { $0.location?.path == "manifests/m.yaml" })
    }

    /// Past 32 columns, names are checked through an index: a name declared again is
    /// still found, whichever side of the switch each one is on, and a rename too.
    @Test func duplicateColumnsInAWideTable() {
        let columns = (0..<40).map { "    - { name: c\($0), type: int }" }
        let state = render((["apiVersion: reconcile/v1", "kind: Table", "metadata: { name: main.s.t }", "spec:", "  columns:"] + columns + [
            "    - { name: C3, type: int }", "    - { name: c39, type: int }", "    - { name: d, type: int, renamedFrom: c5 }",
        ]).joined(separator: "\n"))
        let messages = state.diagnostics.map(\.message)
        #expect(messages.count == 3, "\(messages)")
        #expect(messages.contains { $0.contains("duplicate column \"C3\" (first declared at line 9)") })
        #expect(messages.contains { $0.contains("duplicate column \"c39\" (first declared at line 45)") })
        #expect(messages.contains { $0.contains("column \"d\" is renamedFrom \"c5\", but \"c5\" is still declared") })
    }

    @Test func duplicateResourcesAcrossFiles() {
        let state = render(goodTable, extra: ["manifests/z.yaml": goodTable])
        #expect(state.resources.count == 1)
        #expect(state.diagnostics.count == 1)
        #expect(state.diagnostics.first?.message.contains("duplicate resource Table/main.silver.orders: it is also declared at manifests/m.yaml:1:1") == true)
        #expect(state.diagnostics.first?.location?.path == "manifests/z.yaml")
    }

    @Test func yamlSyntaxErrorsBecomeDiagnostics() {
        let state = render("apiVersion: reconcile/v1\nkind: [Table\n")
        #expect(state.diagnostics.count == 1)
        #expect(state.diagnostics.first?.location?.path == "manifests/m.yaml")
    }

    @Test func environmentFileNameMustMatch() {
        let loaded = Loader.load(source(["environments/prod.yaml": devEnvironment]))
        #expect(loaded.diagnostics.first?.message.contains("name the file environments/dev.yaml") == true)
    }

    @Test func literalDollarBraceIsEscaped() throws {
        let state = render(goodTable.replacingOccurrences(of: "comment: Orders", with: "comment: costs $${currency}"))
        #expect(state.diagnostics.isEmpty)
        #expect(state.resources.first?.table?.comment == "costs ${currency}")
    }

    /// Substitution works on bytes: references side by side, `$$${`, text in other
    /// scripts around them kept whole, and a combining mark after `{` still read as a
    /// reference (an error), never passed through as literal text.
    @Test(arguments: [
        ("${var.catalog}${var.catalog}", "mainmain", nil),
        ("é ${var.catalog} ü", "é main ü", nil),
        ("$$${var.catalog}", "$${var.catalog}", nil),
        ("a$b$${c} ${var.catalog}$", "a$b${c} main$", nil),
        ("\u{600}${var.catalog}", "\u{600}main", nil),
        ("${\u{301}var.catalog}", nil, "unknown reference"),
    ] as [(String, String?, String?)])
    func substitutionReadsBytes(comment: String, expected: String?, error: String?) throws {
        let state = render(goodTable.replacingOccurrences(of: "comment: Orders", with: "comment: \"\(comment)\""))
        if let expected {
            #expect(state.diagnostics.isEmpty, "\(state.diagnostics)")
            #expect(state.resources.first?.table?.comment == expected)
        }
        if let error { #expect(state.diagnostics.first?.message.contains(error) == true, "\(state.diagnostics)") }
    }

    @Test func namespacesDecode() throws {
        let state = render("""
        apiVersion: reconcile/v1
        kind: Catalog
        metadata: { name: "${var.catalog}" }
        spec: { comment: c, owner: o, properties: { a: b } }
        ---
        apiVersion: reconcile/v1
        kind: Schema
        metadata: { name: main.silver }
        """)
        #expect(state.diagnostics.isEmpty)
        #expect(state.resources.map(\.id.description) == ["Catalog/main", "Schema/main.silver"])
        #expect(state.resources[0].spec == .catalog(NamespaceSpec(comment: "c", owner: "o", properties: ["a": "b"])))
    }

    @Test func anEnvironmentWithAnyErrorIsNotLoaded() throws {
        let broken = devEnvironment.replacingOccurrences(of: "policy: { destructive: deny, prune: false }", with: "policy: { destructive: dney, prune: }")
        let loaded = Loader.load(source(["environments/dev.yaml": broken, "manifests/m.yaml": goodTable]))
        #expect(loaded.environments["dev"] == nil, "never run on defaults")
        let problems = try #require(loaded.brokenEnvironments["dev"]).map(\.description)
        #expect(problems.contains { $0.contains("spec.policy.destructive must be \"allow\" or \"deny\", not \"dney\"") }, "\(problems)")
        #expect(problems.contains { $0.contains("spec.policy.prune must be true or false") }, "\(problems)")
        #expect(throws: DiagnosticsError.self) { try Loader.environment("dev", in: loaded) }
    }

    @Test func symbolicLinksAreNeverRead() {
        var set = source(["environments/dev.yaml": devEnvironment])
        set.files.append(SourceFile(path: "environments/prod.yaml", bytes: Array("dev.yaml".utf8), isSymbolicLink: true))
        let loaded = Loader.load(set)
        #expect(loaded.brokenEnvironments["prod"]?.first?.message.contains("is a symbolic link") == true)
        #expect(loaded.environments["dev"] != nil)
    }
}
