import Foundation
import Testing
import TestSupport

/// Every input a user can get wrong: a clear error, exit 1, and nothing changed.
@Suite struct BadInputTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var file: String
        var edit: @Sendable (String) -> String
        var arguments: [String] = ["apply", "--env", "dev"]
        var expected: [String]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "YAML syntax error", file: "manifests/silver/orders.yaml",
             edit: { $0.replacingOccurrences(of: "partitionedBy: [order_date]", with: "partitionedBy: [order_date") },
             expected: ["manifests/silver/orders.yaml:", ": error: ", " | "]),
        Case(name: "tab indentation", file: "manifests/silver/orders.yaml",
             edit: { $0.replacingOccurrences(of: "  comment: One row per order", with: "\tcomment: One row per order") },
             expected: ["manifests/silver/orders.yaml:6:1: error: tab character used for indentation"]),
        Case(name: "unknown field", file: "manifests/silver/orders.yaml",
             edit: { $0.replacingOccurrences(of: "partitionedBy:", with: "partitionBy:") },
             expected: ["manifests/silver/orders.yaml:15:3: error: Table/main.silver.orders: unknown field \"spec.partitionBy\"; did you mean \"partitionedBy\"?"]),
        Case(name: "wrong type", file: "manifests/silver/orders.yaml",
             edit: { $0.replacingOccurrences(of: "partitionedBy: [order_date]", with: "partitionedBy: order_date") },
             expected: ["manifests/silver/orders.yaml:15:18: error: Table/main.silver.orders: spec.partitionedBy must be a list, not a string"]),
        Case(name: "invalid column type", file: "manifests/silver/orders.yaml",
             edit: { $0.replacingOccurrences(of: "type: varchar(16)", with: "type: varchar(16") },
             expected: ["manifests/silver/orders.yaml:10:39: error: Table/main.silver.orders: spec.columns[2].type: invalid type \"varchar(16\": expected \")\""]),
        Case(name: "duplicate table", file: "manifests/copy.yaml", edit: { _ in Project.orders },
             expected: ["manifests/silver/orders.yaml:1:1: error: duplicate resource Table/main.silver.orders: it is also declared at manifests/copy.yaml:1:1"]),
        Case(name: "unknown environment", file: "manifests/silver/orders.yaml", edit: { $0 },
             arguments: ["apply", "--env", "prdo"],
             expected: ["error: unknown environment \"prdo\"; did you mean \"prod\"?"]),
        Case(name: "unknown revision", file: "manifests/silver/orders.yaml", edit: { $0 },
             arguments: ["apply", "--env", "dev", "--revision", "no-such-branch"],
             expected: ["error: unknown revision \"no-such-branch\""]),
        Case(name: "unknown variable", file: "manifests/silver/orders.yaml",
             edit: { $0.replacingOccurrences(of: "${var.catalog}", with: "${var.catalgo}") },
             expected: ["manifests/silver/orders.yaml:4:9: error: unknown variable \"catalgo\""]),
        Case(name: "undeclared schema", file: "manifests/silver/orders.yaml",
             edit: { $0.replacingOccurrences(of: "silver.orders", with: "gold.orders") },
             expected: ["manifests/silver/orders.yaml:1:1: error: Table/main.gold.orders: its schema \"main.gold\" is neither declared nor present in the target"]),
        Case(name: "unknown privilege", file: "manifests/grants.yaml",
             edit: { _ in BadInputTests.grants(table: "main.silver.orders", privilege: "SELEKT") },
             expected: ["manifests/grants.yaml:7:43: error: Grants/g: spec.grants[0].privileges[0]: unknown privilege \"SELEKT\" for a table; did you mean \"SELECT\"?"]),
        Case(name: "grant on an undeclared securable", file: "manifests/grants.yaml",
             edit: { _ in BadInputTests.grants(table: "main.silver.nope", privilege: "SELECT") },
             expected: ["manifests/grants.yaml:1:1: error: Grants/table:main.silver.nope: its table \"main.silver.nope\" is neither declared nor present in the target"]),
        Case(name: "alias to an undeclared version", file: "manifests/model.yaml",
             edit: { _ in "apiVersion: reconcile/v1\nkind: Model\nmetadata: { name: main.silver.m }\nspec:\n  versions: [{ version: 1, source: \"s3://m/1\" }]\n  aliases: { champion: 3 }\n" },
             expected: ["manifests/model.yaml:6:24: error: Model/main.silver.m: alias \"champion\" points at version 3, which is not declared in spec.versions (declared: 1)"]),
        Case(name: "flag default that is not a variant", file: "manifests/flag.yaml",
             edit: { _ in "apiVersion: reconcile/v1\nkind: FeatureFlag\nmetadata: { name: f }\nspec:\n  variants: { red: \"#f00\", blue: \"#00f\" }\n  defaultVariant: green\n" },
             expected: ["manifests/flag.yaml:6:19: error: FeatureFlag/f: spec.defaultVariant \"green\" is not a variant; variants: blue, red"]),
        Case(name: "variants of mixed types", file: "manifests/flag.yaml",
             edit: { _ in "apiVersion: reconcile/v1\nkind: FeatureFlag\nmetadata: { name: f }\nspec:\n  variants: { \"on\": true, \"off\": \"no\" }\n  defaultVariant: \"on\"\n" },
             expected: ["manifests/flag.yaml:5:34: error: FeatureFlag/f: variant \"off\" is a string, but variant \"on\" is a boolean; every variant of a flag has one type"]),
        Case(name: "pipeline library missing at the revision", file: "manifests/pipeline.yaml",
             edit: { _ in BadInputTests.pipeline("p", consumes: "main.silver.orders", produces: "main.silver.out", library: "pipelines/missing.sql") },
             expected: ["manifests/pipeline.yaml:7:15: error: Pipeline/p: spec.libraries[0]: library \"pipelines/missing.sql\" does not exist at revision"]),
        Case(name: "pipeline dependency cycle", file: "manifests/pipeline.yaml",
             edit: { _ in BadInputTests.pipeline("p1", consumes: "main.silver.orders", produces: "main.silver.out")
                 + "\n---\n" + BadInputTests.pipeline("p2", consumes: "main.silver.out", produces: "main.silver.orders") },
             expected: ["error: pipelines form a dependency cycle: Pipeline/p1 consumes main.silver.orders, produced by Pipeline/p2; Pipeline/p2 consumes main.silver.out, produced by Pipeline/p1"]),
        Case(name: "unwritable lakehouse root", file: "environments/dev.yaml",
             edit: { $0.replacingOccurrences(of: "path: .lakehouse/dev", with: "path: .gitignore/dev") },
             expected: ["lakehouse root .gitignore/dev cannot be created"]),
    ]

    static func grants(table: String, privilege: String) -> String {
        """
        apiVersion: reconcile/v1
        kind: Grants
        metadata: { name: g }
        spec:
          securable: { type: table, name: \(table) }
          grants:
            - { principal: analysts, privileges: [\(privilege)] }
        """
    }

    static func pipeline(_ name: String, consumes: String, produces: String, library: String = "manifests/namespaces.yaml") -> String {
        """
        apiVersion: reconcile/v1
        kind: Pipeline
        metadata: { name: \(name) }
        spec:
          catalog: main
          target: silver
          libraries: [\(library)]
          consumes: [\(consumes)]
          produces: [\(produces)]
        ---
        apiVersion: reconcile/v1
        kind: Table
        metadata: { name: \(produces) }
        spec: { columns: [{ name: id, type: int }] }
        """
    }

    @Test(arguments: cases)
    func rejected(_ badCase: Case) throws {
        let project = try Project()
        try project.apply()
        let before = try project.lakehouseFingerprint()
        let original = (try? project.read(badCase.file)) ?? ""
        try project.write(badCase.file, badCase.edit(original))
        try project.commit("break it: \(badCase.name)")
        let result = try project.reconcile(badCase.arguments)
        #expect(result.code == 1, "\(result.output)")
        for text in badCase.expected {
            #expect(result.stderr.contains(text), "missing \"\(text)\" in:\n\(result.stderr)")
        }
        #expect(try project.lakehouseFingerprint() == before, "nothing may change")
    }

    @Test func aLockedCatalogDatabaseIsWaitedForThenRefused() throws {
        let project = try Project()
        try project.write("manifests/grants.yaml", Self.grants(table: "main.silver.orders", privilege: "SELECT"))
        try project.commit("grants")
        try project.apply()
        try project.write("manifests/grants.yaml", Self.grants(table: "main.silver.orders", privilege: "MODIFY"))
        try project.write("manifests/silver/orders.yaml", Project.orders.replacingOccurrences(of: "One row per order", with: "changed"))
        try project.commit("change a table and the grants")
        let before = try project.lakehouseFingerprint()
        let database = project.url.appendingPathComponent(".lakehouse/dev/catalog.db").path
        // Another process holds a write lock: readers may read, writers must wait.
        let holder = try SQLiteLockHolder(database: database, mode: "IMMEDIATE")

        let result = try Shell.run(Paths.reconcile, ["apply", "--env", "dev"], in: project.url, environment: ["RECONCILE_DB_TIMEOUT_MS": "500"])
        #expect(result.code == 1, "\(result.output)")
        #expect(result.stderr.contains("the catalog database .lakehouse/dev/catalog.db is locked by another process; waited 0.5 s"))
        #expect(try project.lakehouseFingerprint() == before, "the table change before the grants was not made either")
        withExtendedLifetime(holder) {}
    }

    @Test func notAGitRepository() throws {
        let empty = try TemporaryDirectory()
        let result = try Shell.run(Paths.reconcile, ["plan", "--env", "dev"], in: empty.url)
        #expect(result.code == 1)
        #expect(result.stderr.contains("error: not a git repository: "))
        #expect(result.stderr.contains("pass --repo PATH"))
    }

    @Test func usageErrorsExitOne() throws {
        let project = try Project()
        let result = try project.reconcile("plan")
        #expect(result.code == 1)
        #expect(result.stderr.contains("plan needs --env NAME"))
        #expect(try project.reconcile("plan", "--env", "dev", "--output", "xml").code == 1)
    }

    @Test func corruptDeltaLogs() throws {
        let project = try Project()
        try project.apply()
        try project.write("manifests/silver/orders.yaml", Project.orders.replacingOccurrences(of: "One row per order", with: "v1"))
        try project.commit("v1")
        try project.apply()
        let log = project.url.appendingPathComponent(".lakehouse/dev/main/silver/orders/_delta_log")
        let commit1 = log.appendingPathComponent("00000000000000000001.json")
        let saved = try Data(contentsOf: commit1)

        try "{broken\n".write(to: commit1, atomically: true, encoding: .utf8)
        var result = try project.reconcile("plan", "--env", "dev")
        #expect(result.code == 1)
        #expect(result.stderr.contains("Table/main.silver.orders: "))
        #expect(result.stderr.contains("00000000000000000001.json:1: not a JSON action"))

        try saved.write(to: commit1)
        try FileManager.default.moveItem(at: commit1, to: log.appendingPathComponent("00000000000000000002.json"))
        let before = try project.lakehouseFingerprint()
        result = try project.reconcile("apply", "--env", "dev")
        #expect(result.code == 1)
        #expect(result.stderr.contains("00000000000000000001.json is missing: the log has a gap before version 2"))
        #expect(try project.lakehouseFingerprint() == before)
    }

    @Test func validateReportsEveryErrorOfEveryFile() throws {
        let project = try Project()
        try project.write("manifests/a.yaml", "apiVersion: reconcile/v1\nkind: Tabel\nmetadata: { name: x }\n")
        try project.write("manifests/b.yaml", "apiVersion: reconcile/v2\nkind: Catalog\nmetadata: { name: \"bad-name\" }\n")
        try project.commit("broken")
        let result = try project.reconcile("validate")
        #expect(result.code == 1)
        #expect(result.stderr.contains("manifests/a.yaml:2:7: error: unknown kind \"Tabel\"; did you mean \"Table\"?"))
        #expect(result.stderr.contains("manifests/b.yaml:1:13: error: unsupported apiVersion \"reconcile/v2\""))
        #expect(result.stderr.contains("manifests/b.yaml:3:19: error: Catalog/bad-name: invalid identifier \"bad-name\""))
        #expect(result.stderr.contains("3 errors"))
    }
}
