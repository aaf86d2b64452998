import Foundation
import Testing
import TestSupport

/// Preview environments (#14): a pull request's copy of an environment, with a root
/// (or catalog) of its own, that adopts nothing and is destroyed whole.
@Suite struct PreviewEnvironmentTests {
    static let returns = """
    apiVersion: reconcile/v1
    kind: Table
    metadata: { name: "${var.catalog}.silver.returns" }
    spec:
      columns: [{ name: order_id, type: bigint }]
    """

    func exists(_ project: Project, _ path: String) -> Bool {
        FileManager.default.fileExists(atPath: project.url.appendingPathComponent(path).path)
    }

    @Test func aPreviewIsCreatedUpdatedAndDestroyedLeavingNothingBehind() throws {
        let project = try Project()
        // Protected in every environment, the preview's copy included: destroy still deletes it.
        try project.write("manifests/silver/orders.yaml", Project.orders.replacingOccurrences(
            of: "  name: ${var.catalog}.silver.orders\n", with: "  name: ${var.catalog}.silver.orders\n  annotations: { reconcile/protect: \"true\" }\n"))
        try project.commit("protect orders")
        try project.apply("dev")
        try project.python("from deltalake import write_deltalake\nimport pyarrow as pa\nimport datetime, decimal\n"
            + "write_deltalake('.lakehouse/dev/main/silver/orders', pa.table({'order_id': pa.array([1, 2], pa.int64()), "
            + "'amount': pa.array([decimal.Decimal('1.50'), decimal.Decimal('2.00')], pa.decimal128(18, 2)), 'status': ['a', 'b'], "
            + "'order_date': [datetime.date(2026, 1, 1)] * 2}), mode='append', schema_mode='merge')")
        let dev = try project.lakehouseFingerprint()

        let created = try project.reconcile("preview", "create", "pr-1", "--from", "dev")
        #expect(created.code == 0, "\(created.output)")
        #expect(created.stdout.contains("+ Table/main.silver.orders") && created.stdout.contains("Apply complete: 3 changes applied to dev-preview-pr-1"), "\(created.output)")
        #expect(created.stdout.contains("Preview dev-preview-pr-1 is at .lakehouse/dev-preview-pr-1. Destroy it with: reconcile preview destroy pr-1 --from dev"))
        let table = try project.deltaRS(".lakehouse/dev-preview-pr-1/main/silver/orders")
        #expect(fields(table).count == 6, "delta-rs reads the preview's table")

        // A new push to the pull request: the same preview moves to the new revision.
        try project.write("manifests/silver/returns.yaml", Self.returns)
        try project.commit("returns")
        let updated = try project.reconcile("preview", "create", "pr-1", "--from", "dev", "--output", "markdown")
        #expect(updated.code == 0, "\(updated.output)")
        #expect(updated.stdout.contains("### reconcile plan for `dev-preview-pr-1`") && updated.stdout.contains("1 to create, 0 to update"), "\(updated.output)")

        let destroyed = try project.reconcile("preview", "destroy", "pr-1")
        #expect(destroyed.code == 0, "found without --from: \(destroyed.output)")
        #expect(destroyed.stdout.contains("- Table/main.silver.orders") && destroyed.stdout.contains("removed .lakehouse/dev-preview-pr-1"), "\(destroyed.output)")
        #expect(!exists(project, ".lakehouse/dev-preview-pr-1"), "nothing is left behind")
        #expect(try project.lakehouseFingerprint() == dev, "dev is untouched, its rows included")
        let again = try project.reconcile("preview", "destroy", "pr-1", "--from", "dev", "--output", "json")
        #expect(again.code == 0 && again.stdout.contains("\"destroyed\": false"), "\(again.output)")
    }

    @Test func aPreviewAdoptsNothingAndNeverRemovesWhatItDidNotCreate() throws {
        let project = try Project()
        try project.apply("dev")
        // Someone copied dev's tables where the preview would live.
        let copy = project.url.appendingPathComponent(".lakehouse/dev-preview-pr-2")
        try FileManager.default.copyItem(at: project.url.appendingPathComponent(".lakehouse/dev"), to: copy)
        try FileManager.default.removeItem(at: copy.appendingPathComponent(".reconcile"))
        let before = try project.lakehouseFingerprint("dev-preview-pr-2")
        let refused = try project.reconcile("preview", "create", "pr-2", "--from", "dev")
        #expect(refused.code == 1, "\(refused.output)")
        #expect(refused.stderr.contains("Table/main.silver.orders exists already and this preview did not create it; a preview adopts nothing"), "\(refused.output)")
        #expect(try project.lakehouseFingerprint("dev-preview-pr-2") == before, "nothing written")

        let kept = try project.reconcile("preview", "destroy", "pr-2", "--from", "dev")
        #expect(kept.code == 1, "\(kept.output)")
        #expect(kept.stderr.contains("still holds files the preview did not create (main/_catalog.json"), "\(kept.output)")
        #expect(try project.lakehouseFingerprint("dev-preview-pr-2") == before, "what it did not create stays")
    }

    @Test func aCreateOrDestroyKilledAtAnyStepIsFinishedByTheNextDestroy() throws {
        let project = try Project()
        for step in [1, 2, 4, 7, 11] {
            let killed = try Shell.run(Paths.reconcile, ["preview", "create", "pr-3", "--from", "dev"], in: project.url, environment: ["RECONCILE_FAULT_KILL_AT": "\(step)"])
            #expect(killed.code != 0 && killed.stderr.contains("fault injection: killed at step \(step)"), "\(killed.output)")
            let destroyed = try project.reconcile("preview", "destroy", "pr-3", "--from", "dev")
            #expect(destroyed.code == 0, "step \(step): \(destroyed.output)")
            #expect(!exists(project, ".lakehouse/dev-preview-pr-3"), "step \(step): the half-made preview is gone: \(destroyed.output)")
        }
        for step in [1, 3, 6] {
            #expect(try project.reconcile("preview", "create", "pr-4", "--from", "dev").code == 0)
            let killed = try Shell.run(Paths.reconcile, ["preview", "destroy", "pr-4", "--from", "dev"], in: project.url, environment: ["RECONCILE_FAULT_KILL_AT": "\(step)"])
            #expect(killed.code != 0, "\(killed.output)")
            let finished = try project.reconcile("preview", "destroy", "pr-4")
            #expect(finished.code == 0, "step \(step): \(finished.output)")
            #expect(!exists(project, ".lakehouse/dev-preview-pr-4"), "step \(step): \(finished.output)")
        }
    }

    @Test func destroyWithoutFromFailsClosedWhenAnEnvironmentCannotBeRead() throws {
        let project = try Project()
        #expect(try project.reconcile("preview", "create", "pr-8", "--from", "dev").code == 0)
        try project.write("environments/broken.yaml", "apiVersion: reconcile/v1\nkind: Environment\nmetadata: { name: broken }\nspec: { target: { type: lokal } }\n")
        try project.commit("a broken environment")
        let result = try project.reconcile("preview", "destroy", "pr-8")
        #expect(result.code == 1 && !result.stdout.contains("Nothing to destroy"), "an unreadable environment might own it: \(result.output)")
        #expect(exists(project, ".lakehouse/dev-preview-pr-8"))
    }

    @Test func whatCannotBePreviewedIsRefusedBeforeAnythingIsWritten() throws {
        let project = try Project()
        try project.write("environments/ml.yaml", """
        apiVersion: reconcile/v1
        kind: Environment
        metadata: { name: ml }
        spec:
          targets:
            default: { type: local, path: .lakehouse/ml }
            models: { type: mlflow, url: "http://127.0.0.1:9" }
          variables: { catalog: main }
        """)
        try project.write("environments/qa.yaml", Project.devEnvironment.replacingOccurrences(of: "name: dev", with: "name: qa")
            .replacingOccurrences(of: ".lakehouse/dev", with: ".lakehouse/dev-preview-pr-5/qa"))
        try project.commit("more environments")
        let mlflow = try project.reconcile("preview", "create", "pr-5", "--from", "ml")
        #expect(mlflow.code == 1 && mlflow.stderr.contains("environment ml cannot have a preview: it routes models to the MLflow server"), "\(mlflow.output)")
        let overlap = try project.reconcile("preview", "create", "pr-5", "--from", "dev")
        #expect(overlap.code == 1 && overlap.stderr.contains("overlaps environment qa's root"), "\(overlap.output)")
        let named = try project.reconcile("preview", "create", "Pr_5", "--from", "dev")
        #expect(named.code == 1 && named.stderr.contains("cannot name a preview"), "\(named.output)")
        let env = try project.reconcile("preview", "create", "pr-6", "--from", "dev", "--env", "dev")
        #expect(env.code == 1 && env.stderr.contains("drop --env"), "\(env.output)")
        #expect(!exists(project, ".lakehouse/ml-preview-pr-5") && !exists(project, ".lakehouse/dev-preview-pr-5") && !exists(project, ".lakehouse/dev-preview-pr-6"))
    }
}
