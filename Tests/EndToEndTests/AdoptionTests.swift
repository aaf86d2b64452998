import Foundation
import Testing
import TestSupport

/// Adopting what exists (#14): a declared table another engine created is adopted,
/// never replaced, keeps its rows, and is pruned like anything the environment
/// created once its manifest goes.
@Suite struct AdoptionTests {
    @Test func anExistingTableWithRowsIsAdoptedThenPrunedWhenItsManifestGoes() throws {
        let project = try Project()
        try project.apply()
        try project.python("""
        import pyarrow as pa
        from deltalake import write_deltalake
        write_deltalake("\(DataPreservingTests.path)", pa.table({"id": pa.array([1, 2, 3], pa.int32()), "email": ["a", "b", None],
                                                              "score": pa.array([0.5, 1.5, 2.5], pa.float32())}))
        """)
        // Undeclared, it is someone else's: left alone.
        let before = try project.reconcile("plan", "--env", "dev")
        #expect(before.code == 0)
        #expect(before.stdout.contains("Not managed by this environment (left alone): Table/main.silver.people"), "\(before.stdout)")

        try project.write("manifests/silver/people.yaml", DataPreservingTests.people.replacingOccurrences(of: "{ name: id, type: int }", with: "{ name: id, type: int, comment: key }"))
        try project.commit("declare people")
        let plan = try project.reconcile("plan", "--env", "dev")
        #expect(plan.code == 2)
        #expect(plan.stdout.contains("<= Table/main.silver.people  (adopt: exists, not created by this environment)"), "\(plan.stdout)")
        #expect(plan.stdout.contains("0 to replace, 0 to delete, 1 to adopt"), "\(plan.stdout)")
        try project.apply()
        #expect((try project.rows(DataPreservingTests.path).deltaRS as? [[String: Any]])?.count == 3, "adopted with its rows")
        #expect(try project.reconcile("plan", "--env", "dev").code == 0)

        // Now the environment's own: its manifest gone, it is pruned (to the trash).
        try FileManager.default.removeItem(at: project.url.appendingPathComponent("manifests/silver/people.yaml"))
        try project.commit("retire people")
        let prune = try project.reconcile("plan", "--env", "dev")
        #expect(prune.stdout.contains("- Table/main.silver.people"), "\(prune.stdout)")
        try project.apply()
        #expect(!FileManager.default.fileExists(atPath: project.url.appendingPathComponent(DataPreservingTests.path).path))
        let trash = try FileManager.default.contentsOfDirectory(atPath: project.url.appendingPathComponent(".lakehouse/dev/.trash").path)
        #expect(trash.contains { $0.hasSuffix("Table-main.silver.people") }, "\(trash)")
    }

    @Test func adoptionNeverReplacesWhateverTheOverrides() throws {
        let project = try Project()
        try project.apply()
        try project.python("""
        import pyarrow as pa
        from deltalake import write_deltalake
        write_deltalake("\(DataPreservingTests.path)", pa.table({"id": pa.array([1], pa.int32()), "email": ["a"], "score": pa.array([0.5], pa.float32())}))
        """)
        try project.write("manifests/silver/people.yaml", DataPreservingTests.people + "\n  partitionedBy: [email]")
        try project.commit("declare people, partitioned")
        let plan = try project.reconcile("apply", "--env", "dev", "--allow-destructive")
        #expect(plan.code == 1)
        #expect(plan.stderr.contains("exists but this environment did not create it, and matching the manifest would replace it, dropping what it holds; adoption never replaces"), "\(plan.output)")
        #expect((try project.rows(DataPreservingTests.path).duckDB as? [[String: Any]])?.count == 1, "nothing was replaced")
    }
}
