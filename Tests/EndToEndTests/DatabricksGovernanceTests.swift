import Foundation
import Testing
import TestSupport

/// Functions, column masks, row filters and tags on the Databricks stand-in (#15):
/// applied by DDL, observed through the functions, tables and entity tag assignment
/// APIs, drift found when one is changed by hand, healed, and the plan empty after.
@Suite struct DatabricksGovernanceTests {
    static let manifests = """
    apiVersion: reconcile/v1
    kind: Catalog
    metadata: { name: main }
    spec: { tags: { cost_center: "data" } }
    ---
    apiVersion: reconcile/v1
    kind: Schema
    metadata: { name: main.crm }
    spec: { tags: { domain: customers } }
    ---
    apiVersion: reconcile/v1
    kind: Function
    metadata: { name: main.crm.redact }
    spec:
      comment: "HR's view of an e-mail address"
      parameters: [{ name: email, type: string }]
      returns: string
      body: CASE WHEN is_account_group_member('hr') THEN email ELSE '***' END
    ---
    apiVersion: reconcile/v1
    kind: Function
    metadata: { name: main.crm.in_region }
    spec:
      parameters: [{ name: region, type: string }]
      returns: boolean
      body: is_account_group_member(concat('region-', region))
    ---
    apiVersion: reconcile/v1
    kind: Table
    metadata: { name: main.crm.customers }
    spec:
      tags: { classification: confidential }
      columns:
        - { name: id, type: bigint, nullable: false }
        - name: email
          type: string
          tags: { pii: "true" }
          mask: { function: main.crm.redact }
        - { name: region, type: string }
      rowFilter: { function: main.crm.in_region, on: [region] }
    ---
    apiVersion: reconcile/v1
    kind: Grants
    metadata: { name: redact-callers }
    spec:
      securable: { type: function, name: main.crm.redact }
      grants:
        - { principal: analysts, privileges: [EXECUTE] }
    """

    let tests = DatabricksTests()

    /// Runs `sql` on the fake's warehouse as a person would by hand (it runs on the second poll).
    func byHand(_ workspace: FakeWorkspace, _ sql: String) throws {
        let body = String(decoding: try JSONSerialization.data(withJSONObject: ["statement": sql, "warehouse_id": "wh1"]), as: UTF8.self)
        let posted = try Shell.run("curl", ["-s", "-X", "POST", "-H", "Authorization: Bearer good-token", "-H", "Content-Type: application/json",
                                            "--data", body, "\(workspace.host)/api/2.0/sql/statements"])
        let id = try #require((try JSONSerialization.jsonObject(with: Data(posted.stdout.utf8)) as? [String: Any])?["statement_id"] as? String)
        var state = ""
        for _ in 0..<3 where state != "SUCCEEDED" {
            let polled = try Shell.run("curl", ["-s", "-H", "Authorization: Bearer good-token", "\(workspace.host)/api/2.0/sql/statements/\(id)"])
            state = ((try JSONSerialization.jsonObject(with: Data(polled.stdout.utf8)) as? [String: Any])?["status"] as? [String: Any])?["state"] as? String ?? ""
        }
        #expect(state == "SUCCEEDED", "\(sql)")
    }

    func statements(_ workspace: FakeWorkspace) -> [String] {
        workspace.requests.filter { $0["path"] as? String == "/api/2.0/sql/statements" }.compactMap { ($0["body"] as? [String: Any])?["statement"] as? String }
    }

    @Test func functionsMasksRowFiltersAndTagsRoundTrip() throws {
        let dir = try TemporaryDirectory()
        let workspace = try FakeWorkspace(in: dir.url)
        let project = try tests.project(workspace, manifests: Self.manifests)
        let apply = try tests.run(project, "apply", "--env", "dev")
        #expect(apply.code == 0, "\(apply.output)")
        let applied = statements(workspace)
        let function = applied.firstIndex { $0.hasPrefix("CREATE OR REPLACE FUNCTION `main`.`crm`.`redact`(`email` STRING)") }
        let table = applied.firstIndex { $0.hasPrefix("CREATE TABLE IF NOT EXISTS `main`.`crm`.`customers`") }
        #expect(function != nil && table != nil && function! < table!, "functions before the tables that call them: \(applied)")
        #expect(applied.contains { $0.contains("`email` STRING MASK `main`.`crm`.`redact` COMMENT") || $0.contains("`email` STRING MASK `main`.`crm`.`redact`,") }, "\(applied)")
        #expect(applied.contains { $0.contains("WITH ROW FILTER `main`.`crm`.`in_region` ON (`region`)") })
        #expect(applied.contains("ALTER CATALOG `main` SET TAGS ('cost_center' = 'data')"))
        #expect(applied.contains("ALTER TABLE `main`.`crm`.`customers` ALTER COLUMN `email` SET TAGS ('pii' = 'true')"))
        #expect(workspace.requests.contains { $0["method"] as? String == "PATCH" && $0["path"] as? String == "/api/2.1/unity-catalog/permissions/function/main.crm.redact" })

        // Observed through the APIs, it matches: the plan is empty, and only REST was used.
        try workspace.reset()
        let plan = try tests.run(project, "plan", "--env", "dev")
        #expect(plan.code == 0, "converges in one apply: \(plan.output)")
        let paths = workspace.requests.compactMap { $0["path"] as? String }
        #expect(paths.contains("/api/2.1/unity-catalog/functions"))
        #expect(paths.contains("/api/2.1/unity-catalog/entity-tag-assignments/columns/main.crm.customers.email/tags"))
        #expect(!paths.contains("/api/2.0/sql/statements"), "observing never wakes the warehouse")

        // Changed by hand: each is drift, named; healing puts it back.
        try byHand(workspace, "ALTER TABLE `main`.`crm`.`customers` ALTER COLUMN `email` DROP MASK")
        try byHand(workspace, "ALTER TABLE `main`.`crm`.`customers` DROP ROW FILTER")
        try byHand(workspace, "ALTER TABLE `main`.`crm`.`customers` ALTER COLUMN `email` UNSET TAGS ('pii')")
        try byHand(workspace, "ALTER SCHEMA `main`.`crm` SET TAGS ('owner' = 'someone')")
        try byHand(workspace, "CREATE OR REPLACE FUNCTION `main`.`crm`.`redact`(`email` STRING)\nRETURNS STRING\nRETURN email")
        let drift = try tests.run(project, "drift", "--env", "dev")
        #expect(drift.code == 2, "\(drift.output)")
        for field in ["mask", "rowFilter", "columns.email.tags.pii", "tags.owner", "body"] {
            #expect(drift.stdout.contains(field), "\(field) in \(drift.stdout)")
        }
        let heal = try tests.run(project, "drift", "--env", "dev", "--heal")
        #expect(heal.code == 0, "\(heal.output)")
        #expect(try tests.run(project, "plan", "--env", "dev").code == 0)
        #expect(statements(workspace).contains("ALTER SCHEMA `main`.`crm` UNSET TAGS ('owner')"))

        // Removing the mask from the manifest opens data: destructive, refused under deny.
        try project.write("manifests/all.yaml", Self.manifests.replacingOccurrences(of: "      mask: { function: main.crm.redact }\n", with: ""))
        try project.write("environments/dev.yaml", try project.read("environments/dev.yaml").replacingOccurrences(of: "destructive: allow", with: "destructive: deny"))
        try project.commit("unmask e-mail addresses")
        try workspace.reset()
        let refused = try tests.run(project, "apply", "--env", "dev")
        #expect(refused.code == 1, "\(refused.output)")
        #expect(refused.output.contains("opens"), "\(refused.output)")
        #expect(statements(workspace).isEmpty, "nothing was run")
    }

    /// A function dropped by hand (and the filter calling it) is created again before
    /// the filter is set again.
    @Test func aFunctionDroppedByHandIsCreatedBeforeTheFilterThatCallsIt() throws {
        let dir = try TemporaryDirectory()
        let workspace = try FakeWorkspace(in: dir.url)
        let project = try tests.project(workspace, manifests: Self.manifests)
        #expect(try tests.run(project, "apply", "--env", "dev").code == 0)
        try byHand(workspace, "DROP FUNCTION IF EXISTS `main`.`crm`.`in_region`")
        try byHand(workspace, "ALTER TABLE `main`.`crm`.`customers` DROP ROW FILTER")
        let plan = try tests.run(project, "plan", "--env", "dev")
        #expect(plan.code == 2, "\(plan.output)")
        #expect(plan.stdout.contains("main.crm.in_region"), "\(plan.stdout)")
        let apply = try tests.run(project, "apply", "--env", "dev")
        #expect(apply.code == 0, "the function is created again before the filter: \(apply.output)")
        #expect(try tests.run(project, "plan", "--env", "dev").code == 0)
    }
}
