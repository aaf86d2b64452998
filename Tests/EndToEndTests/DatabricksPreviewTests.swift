import Foundation
import Testing
import TestSupport

/// A preview on the Databricks stand-in (#14): a catalog of its own, created and
/// destroyed whole, the base environment's catalog untouched.
@Suite struct DatabricksPreviewTests {
    static let manifests = """
    apiVersion: reconcile/v1
    kind: Catalog
    metadata: { name: "${var.catalog}" }
    ---
    apiVersion: reconcile/v1
    kind: Schema
    metadata: { name: "${var.catalog}.sales" }
    ---
    apiVersion: reconcile/v1
    kind: Table
    metadata: { name: "${var.catalog}.sales.orders", annotations: { reconcile/protect: "true" } }
    spec:
      columns: [{ name: order, type: bigint }, { name: day, type: date }]
    ---
    apiVersion: reconcile/v1
    kind: Grants
    metadata: { name: readers }
    spec:
      securable: { type: table, name: "${var.catalog}.sales.orders" }
      grants: [{ principal: analysts, privileges: [SELECT] }]
    """

    func catalogs(_ workspace: FakeWorkspace) throws -> [String] {
        let listed = try Shell.check("curl", ["-s", "-H", "Authorization: Bearer good-token", "\(workspace.host)/api/2.1/unity-catalog/catalogs"]).stdout
        let object = try #require(try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [String: Any])
        return (object["catalogs"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }.sorted()
    }

    @Test func aPreviewGetsItsOwnCatalogAndDestroyRemovesItWhole() throws {
        let dir = try TemporaryDirectory()
        let workspace = try FakeWorkspace(in: dir.url)
        let project = try DatabricksTests().project(workspace, manifests: Self.manifests)
        try project.write("environments/dev.yaml", try project.read("environments/dev.yaml").replacingOccurrences(of: "  state:", with: "  variables: { catalog: main }\n  state:"))
        try project.commit("a catalog variable")
        let run = { (arguments: [String]) throws -> ProcessResult in
            try Shell.run(Paths.reconcile, arguments, in: project.url, environment: ["DATABRICKS_TOKEN": "good-token"])
        }
        let applied = try run(["apply", "--env", "dev"])
        #expect(applied.code == 0, "\(applied.output)")
        let created = try run(["preview", "create", "pr-5", "--from", "dev"])
        #expect(created.code == 0, "\(created.output)")
        #expect(created.stdout.contains("+ Table/main_preview_pr_5.sales.orders") && created.stdout.contains("is at catalog main_preview_pr_5"), "\(created.output)")
        #expect(try catalogs(workspace) == ["main", "main_preview_pr_5"])
        #expect(FileManager.default.fileExists(atPath: project.url.appendingPathComponent(".reconcile/dev-preview-pr-5.db").path), "its own state file")

        let destroyed = try run(["preview", "destroy", "pr-5", "--from", "dev"])
        #expect(destroyed.code == 0, "\(destroyed.output)")
        #expect(try catalogs(workspace) == ["main"], "the preview's catalog is gone, dev's stays")
        #expect(!FileManager.default.fileExists(atPath: project.url.appendingPathComponent(".reconcile/dev-preview-pr-5.db").path))
        #expect(try run(["plan", "--env", "dev"]).code == 0, "dev still matches its manifests")

        // A resource with a hard-coded catalog would reach into dev: refused before any request.
        try project.write("manifests/fixed.yaml", "apiVersion: reconcile/v1\nkind: Schema\nmetadata: { name: main.fixed }\n")
        try project.commit("a hard-coded catalog")
        try workspace.reset()
        let outside = try run(["preview", "create", "pr-6", "--from", "dev"])
        #expect(outside.code == 1 && outside.stderr.contains("Schema/main.fixed: lies outside the preview's catalog main_preview_pr_6"), "\(outside.output)")
        #expect(workspace.requests.isEmpty, "nothing was asked of the workspace")
    }
}
