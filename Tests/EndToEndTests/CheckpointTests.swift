import Foundation
import Testing
import TestSupport

/// Tables whose logs have checkpoints, as Spark and delta-rs write them (#13):
/// observed without drift, evolved on top, and read back by delta-rs.
@Suite struct CheckpointTests {
    static let events = """
    apiVersion: reconcile/v1
    kind: Table
    metadata: { name: "${var.catalog}.silver.events" }
    spec:
      columns:
        - { name: id, type: bigint }
        - { name: name, type: string }
      properties:
        delta.logRetentionDuration: interval 0 seconds
    """

    static let path = ".lakehouse/dev/main/silver/events"
    static var log: String { path + "/_delta_log" }

    /// The namespaces applied, then 25 commits by delta-rs, a checkpoint at 24, and
    /// the commits before it cleaned up; the table's manifest committed last.
    static func checkpointedProject() throws -> Project {
        let project = try Project()
        try project.apply()
        try project.python("""
        import pyarrow as pa
        from deltalake import write_deltalake
        for i in range(25):
            write_deltalake("\(path)", pa.table({"id": pa.array([i], pa.int64()), "name": [f"n{i}"]}), mode="append",
                            configuration={"delta.logRetentionDuration": "interval 0 seconds"} if i == 0 else None)
        table = DeltaTable("\(path)")
        table.create_checkpoint()
        table.cleanup_metadata()
        """)
        try project.write("manifests/silver/events.yaml", events)
        try project.commit("events, written by delta-rs")
        return project
    }

    func logNames(_ project: Project) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: project.url.appendingPathComponent(Self.log).path).sorted()
    }

    @Test func aCheckpointedTableWithItsEarlyCommitsCleanedIsObservedAndEvolved() throws {
        let project = try Self.checkpointedProject()
        #expect(try logNames(project) == ["00000000000000000024.checkpoint.parquet", "00000000000000000024.json", "_last_checkpoint"])
        let plan = try project.reconcile("plan", "--env", "dev")
        #expect(plan.code == 0, "adopting what matches changes nothing in the target: \(plan.output)")
        #expect(plan.stdout.contains("<= Table/main.silver.events  (adopt: exists, not created by this environment)\n\n"), "adopted, and it matches its manifest: \(plan.output)")
        #expect(try project.reconcile("drift", "--env", "dev").code == 0, "matching, it is no drift")

        try project.write("manifests/silver/events.yaml", Self.events.replacingOccurrences(of: "    - { name: name, type: string }", with: "    - { name: name, type: string }\n    - { name: note, type: string }"))
        try project.commit("add note")
        try project.apply()
        let table = try project.deltaRS(Self.path)
        #expect(table["version"] as? Int == 25)
        #expect(fields(table).map { $0["name"] as? String } == ["id", "name", "note"])
        let rows = try project.rows(Self.path)
        #expect((rows.deltaRS as? [[String: Any]])?.count == 25, "\(String(describing: rows.deltaRS))")
        #expect((rows.duckDB as? [[String: Any]])?.count == 25)
        #expect((rows.sail as? [[String: Any]])?.count == 25, "\(String(describing: rows.sail))")
        #expect(try project.reconcile("plan", "--env", "dev").code == 0)
    }

    @Test func aMultiPartCheckpointIsRead() throws {
        let project = try Self.checkpointedProject()
        // The checkpoint split in two parts, as Spark writes large ones.
        try project.python("""
        import json, os, pyarrow.parquet as pq
        log = "\(Self.log)"
        single = os.path.join(log, "00000000000000000024.checkpoint.parquet")
        table = pq.read_table(single)
        half = table.num_rows // 2
        pq.write_table(table.slice(0, half), os.path.join(log, "00000000000000000024.checkpoint.0000000001.0000000002.parquet"), compression="zstd")
        pq.write_table(table.slice(half), os.path.join(log, "00000000000000000024.checkpoint.0000000002.0000000002.parquet"), compression="gzip")
        os.remove(single)
        json.dump({"version": 24, "size": table.num_rows, "parts": 2}, open(os.path.join(log, "_last_checkpoint"), "w"))
        """)
        let plan = try project.reconcile("plan", "--env", "dev")
        #expect(plan.code == 0, "\(plan.output)")
        #expect(plan.stdout.contains("Plan: 0 to create, 0 to update, 0 to replace, 0 to delete, 1 to adopt"), "\(plan.output)")
    }

    @Test func aV2CheckpointIsNamedNotMisread() throws {
        let project = try Self.checkpointedProject()
        let log = project.url.appendingPathComponent(Self.log)
        try FileManager.default.moveItem(at: log.appendingPathComponent("00000000000000000024.checkpoint.parquet"),
                                         to: log.appendingPathComponent("00000000000000000024.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.parquet"))
        try FileManager.default.removeItem(at: log.appendingPathComponent("00000000000000000024.json"))
        let plan = try project.reconcile("plan", "--env", "dev")
        #expect(plan.code == 1)
        #expect(plan.stderr.contains("a v2 checkpoint (version 24), which this version recognises but does not read yet"), "\(plan.output)")
    }

    @Test func cleanedCommitsWithoutACheckpointAreAClearError() throws {
        let project = try Self.checkpointedProject()
        try FileManager.default.removeItem(at: project.url.appendingPathComponent(Self.log + "/00000000000000000024.checkpoint.parquet"))
        let plan = try project.reconcile("plan", "--env", "dev")
        #expect(plan.code == 1)
        #expect(plan.stderr.contains("00000000000000000000.json is missing and no checkpoint covers the commits before version 24"), "\(plan.output)")
    }

    @Test func aDamagedCheckpointIsAnErrorNamingIt() throws {
        let project = try Self.checkpointedProject()
        let checkpoint = project.url.appendingPathComponent(Self.log + "/00000000000000000024.checkpoint.parquet")
        var bytes = try Data(contentsOf: checkpoint)
        bytes.replaceSubrange(bytes.count - 200..<bytes.count - 8, with: Data(repeating: 0xFF, count: 192))
        try bytes.write(to: checkpoint)
        let plan = try project.reconcile("plan", "--env", "dev")
        #expect(plan.code == 1)
        #expect(plan.stderr.contains("00000000000000000024.checkpoint.parquet: the checkpoint cannot be read"), "\(plan.output)")
    }
}
