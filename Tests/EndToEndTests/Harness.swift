import Foundation
import Testing
import TestSupport

/// A temporary git repository with manifests and environments, and the built
/// `reconcile` binary run inside it, as a user runs it.
final class Project: @unchecked Sendable {
    let repo: GitFixture
    var url: URL { repo.url }

    static let devEnvironment = """
    apiVersion: reconcile/v1
    kind: Environment
    metadata: { name: dev }
    spec:
      target: { type: local, path: .lakehouse/dev }
      variables: { catalog: main }
      policy: { destructive: allow, prune: true }
    """

    static let prodEnvironment = """
    apiVersion: reconcile/v1
    kind: Environment
    metadata: { name: prod }
    spec:
      target: { type: local, path: .lakehouse/prod }
      variables: { catalog: main }
      policy: { destructive: deny, prune: true }
    """

    static let namespaces = """
    apiVersion: reconcile/v1
    kind: Catalog
    metadata: { name: "${var.catalog}" }
    spec: { comment: Main catalog, owner: data }
    ---
    apiVersion: reconcile/v1
    kind: Schema
    metadata: { name: "${var.catalog}.silver" }
    """

    static let orders = """
    apiVersion: reconcile/v1
    kind: Table
    metadata:
      name: ${var.catalog}.silver.orders
    spec:
      comment: One row per order
      columns:
        - { name: order_id, type: bigint, nullable: false, comment: Order number }
        - { name: amount, type: "decimal(18,2)", nullable: false }
        - { name: status, type: varchar(16) }
        - { name: order_date, type: date, nullable: false }
        - name: items
          type: array<struct<sku:string not null,quantity:int>>
        - { name: attributes, type: "map<string,string>" }
      partitionedBy: [order_date]
      properties:
        delta.appendOnly: "false"
        owner_team: sales
      constraints:
        positive_amount: amount >= 0
    """

    /// `marker`: a file that makes this repository's first commit its own (two
    /// fixtures made in the same second are otherwise the same history).
    init(marker: String? = nil) throws {
        repo = try GitFixture()
        if let marker { try repo.write("PROJECT", marker + "\n") }
        try repo.write("environments/dev.yaml", Self.devEnvironment)
        try repo.write("environments/prod.yaml", Self.prodEnvironment)
        try repo.write("manifests/namespaces.yaml", Self.namespaces)
        try repo.write("manifests/silver/orders.yaml", Self.orders)
        try repo.write(".gitignore", ".lakehouse/\n")
        try repo.commit("initial manifests")
    }

    func write(_ path: String, _ text: String) throws { try repo.write(path, text) }
    func read(_ path: String) throws -> String { try repo.directory.read(path) }
    @discardableResult func commit(_ message: String) throws -> String { try repo.commit(message) }

    /// Runs `reconcile` in the repository.
    @discardableResult
    func reconcile(_ arguments: String...) throws -> ProcessResult {
        try reconcile(arguments)
    }

    func reconcile(_ arguments: [String], in directory: URL? = nil) throws -> ProcessResult {
        try Shell.run(Paths.reconcile, arguments, in: directory ?? url)
    }

    /// Applies and checks it succeeded.
    func apply(_ env: String = "dev", _ extra: String...) throws {
        let result = try reconcile(["apply", "--env", env] + extra)
        #expect(result.code == 0, "\(result.output)")
    }

    /// What delta-rs reads from each table directory (relative to the repository).
    func deltaRS(_ tables: [String]) throws -> [String: [String: Any]] {
        let result = try Shell.run(Paths.python, [Paths.deltaInspect] + tables.map { url.appendingPathComponent($0).path })
        guard let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
              let found = object["tables"] as? [String: [String: Any]] else {
            throw TestFailure("delta_inspect.py gave no JSON: \(result.output)")
        }
        #expect(result.code == 0, "delta-rs could not read every table: \(result.stdout)")
        return Dictionary(uniqueKeysWithValues: found.map { (String($0.key.dropFirst(url.path.count + 1)), $0.value) })
    }

    /// The rows delta-rs (through DataFusion), DuckDB's delta extension and Sail (Spark
    /// Connect) read from a table: each reader's rows or its error, and DuckDB's column types.
    func rows(_ table: String) throws -> (deltaRS: Any?, duckDB: Any?, duckDBTypes: [String: String], sail: Any?) {
        let result = try Shell.run(Paths.python, [Paths.deltaRows, url.appendingPathComponent(table).path])
        guard let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw TestFailure("delta_rows.py gave no JSON: \(result.output)")
        }
        return (object["deltars"], object["duckdb"], object["duckdbTypes"] as? [String: String] ?? [:], object["sail"])
    }

    func deltaRS(_ table: String) throws -> [String: Any] {
        try #require(try deltaRS([table])[table])
    }

    /// Every file under the lakehouse with its contents, to prove nothing changed
    /// (the state store's bookkeeping under .reconcile/ aside).
    func lakehouseFingerprint(_ env: String = "dev") throws -> [String: String] {
        let root = url.appendingPathComponent(".lakehouse/\(env)")
        var files: [String: String] = [:]
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [:] }
        for case let file as URL in walker where !file.path.contains("/.reconcile/") && !file.path.hasSuffix("/.reconcile") {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory)
            files[file.path] = isDirectory.boolValue ? "<dir>" : ((try? String(contentsOf: file, encoding: .utf8)) ?? "<binary>")
        }
        return files
    }

    /// Runs Python with delta-rs imported, for writes made by an independent engine.
    func python(_ code: String) throws {
        let result = try Shell.run(Paths.python, ["-c", "from deltalake import DeltaTable, Schema, Field\nfrom deltalake.schema import PrimitiveType\n" + code], in: url)
        #expect(result.code == 0, "\(result.output)")
    }
}

/// Column facts from delta-rs's schema JSON.
func fields(_ table: [String: Any]) -> [[String: Any]] {
    (table["schema"] as? [String: Any])?["fields"] as? [[String: Any]] ?? []
}

func field(_ table: [String: Any], _ name: String) -> [String: Any]? {
    fields(table).first { $0["name"] as? String == name }
}
