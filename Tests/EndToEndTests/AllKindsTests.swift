import Foundation
import Testing
import TestSupport

/// Pipelines, grants, flags and models, end to end through the CLI.
@Suite struct AllKindsTests {
    static let kinds = """
    apiVersion: reconcile/v1
    kind: Table
    metadata: { name: "${var.catalog}.silver.daily" }
    spec:
      columns: [{ name: day, type: date }]
    ---
    apiVersion: reconcile/v1
    kind: Pipeline
    metadata: { name: daily }
    spec:
      catalog: ${var.catalog}
      target: silver
      libraries: [pipelines/daily.sql]
      consumes: ["${var.catalog}.silver.orders"]
      produces: ["${var.catalog}.silver.daily"]
      schedule: { cron: "0 3 * * *", timezone: UTC }
    ---
    apiVersion: reconcile/v1
    kind: Grants
    metadata: { name: orders-readers }
    spec:
      securable: { type: table, name: "${var.catalog}.silver.orders" }
      grants:
        - { principal: analysts, privileges: [SELECT] }
        - { principal: engineers, privileges: [SELECT, MODIFY] }
    ---
    apiVersion: reconcile/v1
    kind: FeatureFlag
    metadata: { name: new-checkout }
    spec:
      variants: { "on": true, "off": false }
      defaultVariant: "off"
      targeting: { fractional: [["on", 30], ["off", 70]] }
    ---
    apiVersion: reconcile/v1
    kind: FeatureFlag
    metadata: { name: banner }
    spec:
      variants: { a: "hello", b: "bonjour" }
      defaultVariant: a
    ---
    apiVersion: reconcile/v1
    kind: Schema
    metadata: { name: "${var.catalog}.ml" }
    ---
    apiVersion: reconcile/v1
    kind: Model
    metadata: { name: "${var.catalog}.ml.churn" }
    spec:
      versions:
        - { version: 1, source: "s3://models/churn/1" }
        - { version: 2, source: "s3://models/churn/2" }
      aliases: { champion: 1, challenger: 2 }
    """

    func project() throws -> Project {
        let project = try Project()
        try project.write("manifests/kinds.yaml", Self.kinds)
        try project.write("pipelines/daily.sql", "SELECT 1")
        try project.commit("all kinds")
        return project
    }

    func edit(_ project: Project, _ replacements: [(String, String)], _ message: String) throws {
        var text = try project.read("manifests/kinds.yaml")
        for (old, new) in replacements {
            #expect(text.contains(old), "fixture lacks \(old)")
            text = text.replacingOccurrences(of: old, with: new)
        }
        try project.write("manifests/kinds.yaml", text)
        try project.commit(message)
    }

    @Test func createUpdateDeleteAndNoOpForEveryKind() throws {
        let project = try project()
        let first = try project.reconcile("plan", "--env", "dev")
        #expect(first.code == 2)
        for line in ["+ Pipeline/daily", "+ Grants/table:main.silver.orders", "+ FeatureFlag/new-checkout", "+ Model/main.ml.churn"] {
            #expect(first.stdout.contains(line), "\(line) in \(first.stdout)")
        }
        try project.apply()
        #expect(try project.reconcile("plan", "--env", "dev").code == 0, "converges in one apply")

        try edit(project, [
            ("cron: \"0 3 * * *\"", "cron: \"0 4 * * *\""),
            ("privileges: [SELECT, MODIFY]", "privileges: [SELECT, MODIFY, ALL_PRIVILEGES]"),
            ("[\"on\", 30], [\"off\", 70]", "[\"on\", 60], [\"off\", 40]"),
            ("aliases: { champion: 1, challenger: 2 }", "aliases: { champion: 2 }"),
        ], "update every kind")
        let update = try project.reconcile("plan", "--env", "dev")
        #expect(update.code == 2)
        #expect(update.stdout.contains("~ Pipeline/daily"))
        #expect(update.stdout.contains("~ schedule.cron: \"0 3 * * *\" → \"0 4 * * *\""))
        #expect(update.stdout.contains("+ grant ALL_PRIVILEGES to engineers"))
        #expect(update.stdout.contains("~ FeatureFlag/new-checkout"))
        #expect(update.stdout.contains("~ aliases.champion: 1 → 2"))
        #expect(update.stdout.contains("- aliases.challenger (was 2)"))
        #expect(update.stdout.contains("Plan: 0 to create, 4 to update"))
        try project.apply()
        #expect(try project.reconcile("plan", "--env", "dev").code == 0)

        try edit(project, [("aliases: { champion: 2 }", "aliases: { champion: 2 }")], "no-op commit")
        #expect(try project.reconcile("plan", "--env", "dev").code == 0, "a commit that changes nothing plans nothing")

        // Delete one of each (the other flag stays, so this is ordinary pruning).
        var text = try project.read("manifests/kinds.yaml")
        let documents = text.components(separatedBy: "\n---\n").filter {
            !$0.contains("kind: Pipeline") && !$0.contains("kind: Grants") && !$0.contains("name: new-checkout") && !$0.contains("kind: Model")
        }
        text = documents.joined(separator: "\n---\n")
        try project.write("manifests/kinds.yaml", text)
        try project.commit("delete one of each")
        let delete = try project.reconcile("plan", "--env", "dev")
        #expect(delete.code == 1, "emptying a kind is refused, so the plan fails like the apply would")
        #expect(delete.stderr.contains("no Pipeline manifests were found") && delete.stderr.contains("plan refused:"), "\(delete.stderr)")
        for line in ["- Pipeline/daily  (destructive)", "- Grants/table:main.silver.orders  (destructive)", "- FeatureFlag/new-checkout  (destructive)", "- Model/main.ml.churn  (destructive)"] {
            #expect(delete.stdout.contains(line), "\(line) in \(delete.stdout)")
        }
        // The last pipeline, grants and model go: each kind empties, which needs saying so.
        let guarded = try project.reconcile("apply", "--env", "dev")
        #expect(guarded.code == 1)
        #expect(guarded.stderr.contains("no Pipeline manifests were found"))
        try project.apply("dev", "--allow-empty")
        #expect(try project.reconcile("plan", "--env", "dev").code == 0)
        let flags = try project.read(".lakehouse/dev/flags.json")
        #expect(!flags.contains("new-checkout") && flags.contains("banner"))
    }

    @Test func destructiveChangesOfEveryKindAreRefusedUnderDeny() throws {
        let project = try project()
        try project.apply("prod")
        let before = try project.lakehouseFingerprint("prod")
        try edit(project, [
            ("target: silver", "target: ml"),
            ("privileges: [SELECT, MODIFY]", "privileges: [SELECT]"),
            ("    - { version: 1, source: \"s3://models/churn/1\" }\n", ""),
            ("aliases: { champion: 1, challenger: 2 }", "aliases: { challenger: 2 }"),
        ], "destructive changes")
        var text = try project.read("manifests/kinds.yaml")
        text = text.components(separatedBy: "\n---\n").filter { !$0.contains("name: banner") }.joined(separator: "\n---\n")
        try project.write("manifests/kinds.yaml", text)
        try project.commit("drop a flag")

        let result = try project.reconcile("apply", "--env", "prod")
        #expect(result.code == 1, "\(result.output)")
        for expected in [
            "Pipeline/daily: replacing Pipeline/daily (its target moves from main.silver to main.ml) discards its run history and checkpoints",
            "Grants/table:main.silver.orders: revokes MODIFY on table:main.silver.orders from engineers",
            "Model/main.ml.churn: deletes model version 1",
            "FeatureFlag/banner: deleting FeatureFlag/banner makes every evaluation of it fall back to the caller's default",
            "apply refused: 4 changes not allowed by policy; nothing was changed",
        ] {
            #expect(result.stderr.contains(expected), "missing \(expected) in \(result.stderr)")
        }
        #expect(try project.lakehouseFingerprint("prod") == before)
        try project.apply("prod", "--allow-destructive")
        #expect(try project.reconcile("plan", "--env", "prod").code == 0)
    }

    @Test func grantsMadeByOthersAreLeftAloneUnlessExclusive() throws {
        let project = try project()
        try project.apply()
        let database = project.url.appendingPathComponent(".lakehouse/dev/catalog.db").path
        try Shell.check("sqlite3", [database, "INSERT INTO grants VALUES ('table', 'main.silver.orders', 'auditors', 'SELECT')"])
        let plan = try project.reconcile("plan", "--env", "dev")
        #expect(plan.code == 0, "\(plan.output)")
        #expect(plan.stdout.contains("auditors holds SELECT on table:main.silver.orders, granted outside this manifest; left alone"))

        try edit(project, [("  grants:\n    - { principal: analysts", "  exclusive: true\n  grants:\n    - { principal: analysts")], "exclusive")
        let exclusive = try project.reconcile("plan", "--env", "dev")
        #expect(exclusive.code == 2)
        #expect(exclusive.stdout.contains("- revoke SELECT from auditors"))
        try project.apply()
        let rows = try Shell.check("sqlite3", [database, "SELECT principal FROM grants WHERE securable_name = 'main.silver.orders' ORDER BY 1"]).stdout
        #expect(rows == "analysts\nengineers\nengineers\n")
    }

    @Test func protectionSurvivesTheManifest() throws {
        let project = try project()
        try edit(project, [("metadata: { name: banner }", "metadata: { name: banner, annotations: { reconcile/protect: \"true\" } }")], "protect banner")
        try project.apply()
        var text = try project.read("manifests/kinds.yaml")
        let withBanner = text
        text = text.components(separatedBy: "\n---\n").filter { !$0.contains("name: banner") }.joined(separator: "\n---\n")
        try project.write("manifests/kinds.yaml", text)
        try project.commit("drop the protected flag")
        let refused = try project.reconcile("apply", "--env", "dev", "--allow-destructive")
        #expect(refused.code == 1)
        #expect(refused.stderr.contains("FeatureFlag/banner is protected: it was applied with reconcile/protect: \"true\", which deleting the manifest does not lift"))

        // Lift it the intended way: restore, remove the annotation, apply; then delete.
        try project.write("manifests/kinds.yaml", withBanner.replacingOccurrences(of: ", annotations: { reconcile/protect: \"true\" }", with: ""))
        try project.commit("unprotect banner")
        let unprotect = try project.reconcile("plan", "--env", "dev")
        #expect(unprotect.stdout.contains("- metadata.annotations.reconcile/protect (was \"true\")"))
        try project.apply()
        try project.write("manifests/kinds.yaml", text)
        try project.commit("drop banner again")
        try project.apply()
        #expect(!(try project.read(".lakehouse/dev/flags.json")).contains("banner"))
    }

    @Test func graphAndSchema() throws {
        let project = try project()
        let mermaid = try project.reconcile("graph", "--env", "dev")
        #expect(mermaid.code == 0)
        #expect(mermaid.stdout.hasPrefix("flowchart LR\n"))
        #expect(mermaid.stdout.contains("{{\"daily\"}}"))
        let dot = try project.reconcile("graph", "--env", "dev", "--format", "dot", "--view", "dependencies")
        #expect(dot.stdout.contains("\"Table/main.silver.orders\" -> \"Grants/table:main.silver.orders\";"))
        #expect(dot.stdout.contains("\"Table/main.silver.orders\" -> \"Pipeline/daily\";"))
        let schema = try project.reconcile("schema")
        #expect(schema.code == 0)
        #expect((try JSONSerialization.jsonObject(with: Data(schema.stdout.utf8)) as? [String: Any])?["$id"] as? String == "https://reconcile.dev/schema/v1/manifest.json")
    }
}
