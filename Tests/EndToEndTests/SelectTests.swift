import Foundation
import Testing
import TestSupport

/// `--select` with closures over the repository's medallion (#14): exactly the
/// expected resources are planned and applied; prune stays inside the selection; the
/// plan says what was left out; a selected apply is not the environment's revision.
@Suite struct SelectTests {
    static func medallion() throws -> GitFixture {
        let repo = try GitFixture()
        for directory in ["manifests", "environments", "pipelines"] {
            try FileManager.default.copyItem(at: Paths.packageRoot.appendingPathComponent(directory), to: repo.url.appendingPathComponent(directory))
        }
        try repo.commit("the example")
        return repo
    }

    static func planned(_ repo: GitFixture, _ arguments: String...) throws -> (Set<String>, [String: Any]) {
        let result = try Shell.run(Paths.reconcile, ["plan", "--env", "dev", "--output", "json"] + arguments, in: repo.url)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.output)")
        return (Set((json["changes"] as? [[String: Any]] ?? []).compactMap { $0["resource"] as? String }), json)
    }

    @Test func closuresSelectExactlyTheLineage() throws {
        let repo = try Self.medallion()
        let (alone, json) = try Self.planned(repo, "--select", "main.silver.orders")
        #expect(alone == ["Catalog/main", "Schema/main.silver", "Table/main.silver.orders"], "what it needs comes along: \(alone)")
        #expect((json["leftOut"] as? [String])?.contains("Table/main.silver.customers") == true)

        let (both, _) = try Self.planned(repo, "--select", "+main.silver.orders+")
        #expect(both == [
            "Catalog/main", "Schema/main.bronze", "Schema/main.silver", "Schema/main.gold",
            // upstream: the pipeline producing orders, its input and its other output
            "Pipeline/orders-silver", "Table/main.bronze.raw_orders", "Table/main.silver.order_items", "Table/main.silver.orders",
            // downstream: the pipeline reading orders, what it produces (and needs), their grants
            "Pipeline/gold-metrics", "Table/main.gold.daily_revenue", "Table/main.gold.customer_lifetime_value", "Table/main.silver.customers",
            "Grants/pipeline:gold-metrics", "Grants/table:main.gold.daily_revenue",
        ], "\(both.sorted())")

        let (models, _) = try Self.planned(repo, "--select", "Model", "--select", "Grants/catalog:*")
        #expect(models == ["Catalog/main", "Schema/main.ml", "Model/main.ml.churn_classifier", "Grants/catalog:main"], "\(models.sorted())")
    }

    @Test func applyTouchesOnlyTheSelectionAndPruneStaysInside() throws {
        let repo = try Self.medallion()
        let run = { (arguments: [String]) in try Shell.run(Paths.reconcile, arguments, in: repo.url) }
        #expect(try run(["apply", "--env", "dev", "--select", "main.silver.orders"]).code == 0)
        #expect(FileManager.default.fileExists(atPath: repo.url.appendingPathComponent(".lakehouse/dev/main/silver/orders/_delta_log").path))
        #expect(!FileManager.default.fileExists(atPath: repo.url.appendingPathComponent(".lakehouse/dev/main/silver/customers").path))
        let history = try run(["history", "--env", "dev", "--output", "json"])
        #expect(history.stdout.contains("\"kind\": \"selected\""), "\(history.stdout)")
        // A table of its own, applied, then its manifest goes: a selection elsewhere does not prune it.
        try repo.write("manifests/scratch.yaml", """
        apiVersion: reconcile/v1
        kind: Table
        metadata: { name: "${var.catalog}.silver.scratch" }
        spec:
          columns: [{ name: id, type: bigint }]
        """)
        try repo.commit("scratch")
        #expect(try run(["apply", "--env", "dev", "--allow-destructive"]).code == 0)
        try FileManager.default.removeItem(at: repo.url.appendingPathComponent("manifests/scratch.yaml"))
        try repo.commit("retire scratch")
        let (elsewhere, json) = try Self.planned(repo, "--select", "main.gold.*", "--allow-destructive")
        #expect(!elsewhere.contains("Table/main.silver.scratch"), "\(elsewhere)")
        #expect((json["leftOut"] as? [String])?.contains("Table/main.silver.scratch") == true, "\(json)")
        let (inside, _) = try Self.planned(repo, "--select", "main.silver.scratch", "--allow-destructive")
        #expect(inside == ["Table/main.silver.scratch"], "\(inside)")
    }
}
