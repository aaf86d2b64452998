import Foundation
import Testing
import TestSupport

/// Tags as desired state on the local lakehouse (#15): catalogs, schemas, tables and
/// columns; managed where declared, left alone where not; drift when changed by hand;
/// selectable by --select and overlays; refused on Databricks until it writes them.
@Suite struct TagTests {
    static let tagged = """
    apiVersion: reconcile/v1
    kind: Catalog
    metadata: { name: "${var.catalog}" }
    spec: { comment: Main catalog, owner: data, tags: { domain: sales } }
    ---
    apiVersion: reconcile/v1
    kind: Schema
    metadata: { name: "${var.catalog}.silver" }
    spec: { tags: { tier: silver } }
    ---
    apiVersion: reconcile/v1
    kind: Table
    metadata: { name: "${var.catalog}.silver.customers" }
    spec:
      tags: { classification: confidential, owner_team: crm }
      columns:
        - { name: id, type: bigint }
        - { name: email, type: string, tags: { pii: "true" } }
    """

    @Test func tagsRoundTripDriftAndSelect() throws {
        let project = try Project()
        try project.write("manifests/namespaces.yaml", Self.tagged)
        try project.commit("tags")
        let plan = try project.reconcile("plan", "--env", "dev")
        #expect(plan.code == 2 && plan.stdout.contains("+ Table/main.silver.customers"), "\(plan.output)")
        try project.apply("dev")
        let again = try project.reconcile("plan", "--env", "dev")
        #expect(again.code == 0, "converges: \(again.output)")

        // delta-rs reads the table; the column's tags ride in its field metadata.
        let table = try project.deltaRS(".lakehouse/dev/main/silver/customers")
        let email = try #require(field(table, "email"))
        #expect("\(email["metadata"] ?? "")".contains("pii"), "\(email)")
        let schemaFile = project.url.appendingPathComponent(".lakehouse/dev/main/silver/_schema.json")
        #expect(try String(contentsOf: schemaFile, encoding: .utf8).contains("\"tier\""))

        // Changed by hand: drift, field by field; heal puts it back.
        try #"{"properties": {}, "tags": {"tier": "gold"}}"#.write(to: schemaFile, atomically: true, encoding: .utf8)
        let drift = try project.reconcile("drift", "--env", "dev")
        #expect(drift.code == 2 && drift.stdout.contains("tags.tier") && drift.stdout.contains("\"gold\""), "\(drift.output)")
        #expect(try project.reconcile("drift", "--env", "dev", "--heal").code == 0)
        #expect(try project.reconcile("plan", "--env", "dev").code == 0)

        // A changed column tag is an in-place update, never a replace.
        try project.write("manifests/namespaces.yaml", Self.tagged.replacingOccurrences(of: "pii: \"true\"", with: "pii: \"true\", retention: 90d"))
        try project.commit("another column tag")
        let update = try project.reconcile("plan", "--env", "dev")
        #expect(update.code == 2 && update.stdout.contains("~ Table/main.silver.customers") && !update.stdout.contains("destructive"), "\(update.output)")
        try project.apply("dev")
        #expect(try project.reconcile("plan", "--env", "dev").code == 0)

        // --select by tag: the table whose column is pii, and nothing else.
        let selected = try project.reconcile("plan", "--env", "dev", "--select", "tag:pii=true", "--output", "json")
        #expect(selected.code == 0 && selected.stdout.contains("\"unchanged\""), "\(selected.output)")
        let broken = try project.reconcile("plan", "--env", "dev", "--select", "tag:pii")
        #expect(broken.code == 1 && broken.stderr.contains("a tag pattern is tag:KEY=VALUE"), "\(broken.output)")
    }

    @Test func undeclaredTagsAreLeftAloneAndAnOverlayCanSelectByTag() throws {
        let project = try Project()
        try project.write("manifests/namespaces.yaml", Self.tagged)
        try project.commit("tags")
        try project.apply("dev")
        // The manifest stops declaring the schema's tags: they stay, and nothing differs.
        try project.write("manifests/namespaces.yaml", Self.tagged.replacingOccurrences(of: "spec: { tags: { tier: silver } }", with: "spec: {}"))
        try project.commit("schema tags unmanaged")
        #expect(try project.reconcile("plan", "--env", "dev").code == 0)
        try project.apply("dev")
        #expect(try String(contentsOf: project.url.appendingPathComponent(".lakehouse/dev/main/silver/_schema.json"), encoding: .utf8).contains("\"tier\""))

        // An overlay selecting confidential tables adds a comment in dev only.
        try project.write("environments/dev.yaml", Project.devEnvironment + """

          overlays:
            - select: { tags: { pii: "true" } }
              patch: { spec: { comment: Holds personal data } }
        """)
        try project.commit("overlay by tag")
        let plan = try project.reconcile("plan", "--env", "dev")
        #expect(plan.code == 2 && plan.stdout.contains("Holds personal data") && plan.stdout.contains("~ Table/main.silver.customers"), "\(plan.output)")
    }

    @Test func badTagsArePositionedErrors() throws {
        let project = try Project()
        try project.write("manifests/namespaces.yaml", Project.namespaces + """

        ---
        apiVersion: reconcile/v1
        kind: Schema
        metadata: { name: "${var.catalog}.gold" }
        spec:
          tags: { cost-center: x, "ok": "\(String(repeating: "v", count: 1001))" }
          properties: { reconcile.tags: "{}" }
        """)
        try project.commit("bad tags")
        let result = try project.reconcile("validate")
        #expect(result.code == 1)
        #expect(result.stderr.contains("spec.tags key \"cost-center\": a tag key cannot contain \"-\""), "\(result.output)")
        #expect(result.stderr.contains("a tag value is at most 1,000 characters, not 1001"), "\(result.output)")
    }
}
