import Foundation
import Testing
import TestSupport

/// `reconcile import` (#14): manifests for what exists undeclared, such that the plan
/// right after committing them changes nothing, and apply adopts them.
@Suite struct ImportTests {
    static let grants = """
    apiVersion: reconcile/v1
    kind: Grants
    metadata: { name: orders-readers }
    spec:
      securable: { type: table, name: "${var.catalog}.silver.orders" }
      grants:
        - { principal: analysts, privileges: [SELECT] }
    ---
    apiVersion: reconcile/v1
    kind: FeatureFlag
    metadata: { name: new-checkout }
    spec:
      state: ENABLED
      variants: { "on": true, "off": false }
      defaultVariant: "off"
      targeting: { if: [{ ends_with: [{ var: email }, "@example.com"] }, "on", "off"] }
      metadata: { owner: "checkout ${team}" }
    """

    @Test func importedManifestsPlanEmptyOnALakehouseDeltaRSWrote() throws {
        let project = try Project()
        try project.write("manifests/extra.yaml", Self.grants.replacingOccurrences(of: "${team}", with: "$${team}"))
        try project.commit("grants and a flag")
        try project.apply()
        // The grants and the flag lose their manifest (the environment still has them),
        // and delta-rs writes two tables with rows, one partitioned.
        try FileManager.default.removeItem(at: project.url.appendingPathComponent("manifests/extra.yaml"))
        try project.commit("forget the grants and the flag")
        try project.python("""
        import pyarrow as pa
        from deltalake import write_deltalake
        write_deltalake(".lakehouse/dev/main/silver/events", pa.table({"id": pa.array([1, 2], pa.int64()), "kind": ["a", "b"], "day": ["2024-01-01", "2024-01-02"]}),
                        partition_by=["day"], configuration={"delta.appendOnly": "true"})
        write_deltalake(".lakehouse/dev/main/silver/people", pa.table({"id": pa.array([1], pa.int32()), "email": ["a@x"]}))
        """)
        let imported = try project.reconcile("import", "--env", "dev")
        #expect(imported.code == 0, "\(imported.output)")
        for file in ["tables/main.silver.events.yaml", "tables/main.silver.people.yaml", "grants/table_main.silver.orders.yaml", "flags/new-checkout.yaml"] {
            #expect(imported.stdout.contains("manifests/imported/\(file)"), "\(file): \(imported.stdout)")
        }
        let events = try project.read("manifests/imported/tables/main.silver.events.yaml")
        #expect(events.contains("name: \"${var.catalog}.silver.events\""), "names use the environment's variables: \(events)")
        #expect(events.contains("partitionedBy:\n    - \"day\""), "\(events)")
        try project.commit("import")

        let plan = try project.reconcile("plan", "--env", "dev")
        #expect(plan.code == 0, "nothing changes in the target: \(plan.output)")
        #expect(plan.stdout.contains("2 to adopt"), "the two tables are adopted; the grants and flag are the environment's already: \(plan.stdout)")
        try project.apply()
        let after = try project.reconcile("plan", "--env", "dev")
        #expect(after.code == 0)
        #expect(after.stdout.contains("No changes."), "\(after.stdout)")
        #expect((try project.rows(".lakehouse/dev/main/silver/events").deltaRS as? [[String: Any]])?.count == 2)

        // Importing again finds nothing; --select narrows; existing files are never overwritten.
        #expect(try project.reconcile("import", "--env", "dev").stdout.contains("Nothing to import"))
    }

    @Test func selectNarrowsAndExistingFilesAreKept() throws {
        let project = try Project()
        try project.apply()
        try project.python("""
        import pyarrow as pa
        from deltalake import write_deltalake
        for name in ["a", "b"]:
            write_deltalake(f".lakehouse/dev/main/silver/{name}", pa.table({"id": pa.array([1], pa.int64())}))
        """)
        let one = try project.reconcile("import", "--env", "dev", "--select", "Table/*.a")
        #expect(one.code == 0)
        #expect(one.stdout.contains("tables/main.silver.a.yaml") && !one.stdout.contains("main.silver.b"), "\(one.stdout)")
        let again = try project.reconcile("import", "--env", "dev", "--select", "main.silver.*")
        #expect(again.code == 1, "a.yaml exists: \(again.output)")
        #expect(again.stderr.contains("manifests/imported/tables/main.silver.a.yaml already exists"), "\(again.stderr)")
        let typo = try project.reconcile("import", "--env", "dev", "--select", "Tabel/x")
        #expect(typo.stderr.contains("unknown kind \"Tabel\"; did you mean \"Table\"?"), "\(typo.stderr)")
    }
}
