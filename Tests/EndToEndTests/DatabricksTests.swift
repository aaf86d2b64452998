import Foundation
import Testing
import TestSupport

/// The fake workspace (`databricks_fake.py`), started and stopped here.
final class FakeWorkspace: @unchecked Sendable {
    let process = Process()
    let port = FreePort.next()
    let log: URL
    var host: String { "http://127.0.0.1:\(port)" }

    init(in directory: URL, seed: String? = nil) throws {
        log = directory.appendingPathComponent("databricks-requests-\(port).jsonl")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        var arguments = [Paths.support.appendingPathComponent("databricks_fake.py").path, "\(port)", "good-token", "wh1", log.path, "100"]
        if let seed {
            let file = directory.appendingPathComponent("seed-\(port).json")
            try seed.write(to: file, atomically: true, encoding: .utf8)
            arguments.append(file.path)
        }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)  // a loaded suite starts Python slowly
        while Date() < deadline {
            if let code = try? Shell.run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "\(host)/api/2.1/unity-catalog/catalogs/x"]).stdout, code == "401" { return }
            usleep(100_000)
        }
        throw TestFailure("the fake workspace did not start")
    }

    deinit { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }

    var requests: [[String: Any]] {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    func reset() throws { try Data().write(to: log) }
}

@Suite struct DatabricksTests {
    static let manifests = """
    apiVersion: reconcile/v1
    kind: Catalog
    metadata: { name: main }
    spec: { comment: "it's the main catalog" }
    ---
    apiVersion: reconcile/v1
    kind: Schema
    metadata: { name: main.sales }
    ---
    apiVersion: reconcile/v1
    kind: Table
    metadata: { name: main.sales.orders }
    spec:
      comment: "Orders, the customer's \\"final\\" state"
      columns:
        - { name: order, type: bigint, nullable: false, comment: "it's the key" }
        - { name: amount, type: "decimal(18,2)" }
        - { name: day, type: date }
      partitionedBy: [day]
      properties: { delta.appendOnly: "false", "owner's": "data" }
      constraints: { positive: "amount >= 0" }
    ---
    apiVersion: reconcile/v1
    kind: Grants
    metadata: { name: readers }
    spec:
      securable: { type: table, name: main.sales.orders }
      grants:
        - { principal: analysts, privileges: [SELECT] }
    """

    func project(_ workspace: FakeWorkspace, warehouse: String = "wh1", manifests: String = Self.manifests,
                 auth: String = "{ token: \"${env:DATABRICKS_TOKEN}\" }") throws -> Project {
        let project = try Project()
        try FileManager.default.removeItem(at: project.url.appendingPathComponent("manifests"))
        try project.write("environments/dev.yaml", """
        apiVersion: reconcile/v1
        kind: Environment
        metadata: { name: dev }
        spec:
          targets:
            default: { type: databricks, host: "\(workspace.host)", warehouse: \(warehouse), auth: \(auth) }
          state: { path: .reconcile/dev.db }
          policy: { destructive: allow }
        """)
        try project.write("manifests/all.yaml", manifests)
        try project.write("pipelines/events.sql", "CREATE OR REFRESH MATERIALIZED VIEW events AS SELECT 1")
        try project.commit("databricks")
        return project
    }

    func run(_ project: Project, _ arguments: String..., token: String = "good-token") throws -> ProcessResult {
        try Shell.run(Paths.reconcile, arguments, in: project.url, environment: ["DATABRICKS_TOKEN": token])
    }

    @Test func appliesThroughStatementsAndPermissionsAndConverges() throws {
        let dir = try TemporaryDirectory()
        let workspace = try FakeWorkspace(in: dir.url)
        let project = try project(workspace)
        let apply = try run(project, "apply", "--env", "dev", "--output", "json")
        #expect(apply.code == 0, "\(apply.output)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(apply.stdout.utf8)) as? [String: Any])
        #expect(((report["requests"] as? [String: Int])?["databricks \(workspace.host)"] ?? 0) > 5)
        let plan = try run(project, "plan", "--env", "dev")
        #expect(plan.code == 0, "converges in one apply: \(plan.output)")
        let statements = workspace.requests.filter { $0["path"] as? String == "/api/2.0/sql/statements" }.compactMap { ($0["body"] as? [String: Any])?["statement"] as? String }
        #expect(statements.contains { $0.hasPrefix("CREATE TABLE IF NOT EXISTS `main`.`sales`.`orders` (") && $0.contains("COMMENT 'Orders, the customer\\'s \"final\" state'") })
        #expect(statements.contains("ALTER TABLE `main`.`sales`.`orders` ADD CONSTRAINT `positive` CHECK (amount >= 0)"))
        let patch = workspace.requests.first { $0["method"] as? String == "PATCH" }
        #expect((patch?["body"] as? [String: Any]).map { "\($0)" }?.contains("analysts") == true)
        #expect(workspace.requests.contains { $0["method"] as? String == "GET" && ($0["path"] as? String ?? "").hasPrefix("/api/2.0/sql/statements/") }, "statements are polled")

        // Drift made in the workspace is found field by field.
        _ = try Shell.run("curl", ["-s", "-X", "PATCH", "-H", "Authorization: Bearer good-token", "-H", "Content-Type: application/json",
                                   "--data", "{\"changes\": [{\"principal\": \"analysts\", \"add\": [\"MODIFY\"]}]}",
                                   "\(workspace.host)/api/2.1/unity-catalog/permissions/table/main.sales.orders"])
        let drift = try run(project, "drift", "--env", "dev")
        #expect(drift.code == 2, "\(drift.output)")
        #expect(drift.stdout.contains("grants.analysts.MODIFY: \"MODIFY\" here, not declared"))
        #expect(try run(project, "drift", "--env", "dev", "--heal").code == 0)
        #expect(try run(project, "drift", "--env", "dev").code == 0)
    }

    /// A rename, a drop and a widening on Databricks (#13): column mapping and type
    /// widening are turned on first (the workspace refuses them otherwise), then the
    /// statements run, and the workspace's table matches the manifest.
    @Test func renameDropAndWidenInPlaceConverge() throws {
        let dir = try TemporaryDirectory()
        let workspace = try FakeWorkspace(in: dir.url)
        let project = try project(workspace)
        #expect(try run(project, "apply", "--env", "dev").code == 0)
        try project.write("manifests/all.yaml", Self.manifests
            .replacingOccurrences(of: "{ name: amount, type: \"decimal(18,2)\" }", with: "{ name: total, type: \"decimal(20,2)\", renamedFrom: amount }")
            .replacingOccurrences(of: "positive: \"amount >= 0\"", with: "positive: \"total >= 0\"")
            .replacingOccurrences(of: "    - { name: day, type: date }\n", with: "    - { name: day, type: date }\n    - { name: note, type: string }\n"))
        try project.commit("rename amount, widen it")
        #expect(try run(project, "apply", "--env", "dev").code == 0)
        try project.write("manifests/all.yaml", try project.read("manifests/all.yaml").replacingOccurrences(of: "    - { name: note, type: string }\n", with: ""))
        try project.commit("drop note")
        let apply = try run(project, "apply", "--env", "dev")
        #expect(apply.code == 0, "\(apply.output)")
        let statements = workspace.requests.filter { $0["path"] as? String == "/api/2.0/sql/statements" }.compactMap { ($0["body"] as? [String: Any])?["statement"] as? String }
        let mapping = statements.firstIndex { $0.contains("'delta.columnMapping.mode' = 'name'") }
        let rename = statements.firstIndex { $0.hasSuffix("RENAME COLUMN `amount` TO `total`") }
        #expect(mapping != nil && rename != nil && mapping! < rename!, "\(statements)")
        #expect(statements.contains { $0.contains("'delta.enableTypeWidening' = 'true'") })
        #expect(statements.contains { $0.hasSuffix("DROP COLUMNS (`note`)") })
        #expect(try run(project, "plan", "--env", "dev").code == 0, "converged")
    }

    @Test func aDriftCycleOverFiveHundredTablesTakesAFewDozenRequests() throws {
        let dir = try TemporaryDirectory()
        var manifests = ["apiVersion: reconcile/v1\nkind: Catalog\nmetadata: { name: main }\n"]
        var seedTables: [String] = []
        for schema in 0..<10 {
            manifests.append("apiVersion: reconcile/v1\nkind: Schema\nmetadata: { name: main.s\(schema) }\n")
            for table in 0..<50 {
                manifests.append("apiVersion: reconcile/v1\nkind: Table\nmetadata: { name: main.s\(schema).t\(table) }\nspec: { columns: [{ name: id, type: bigint }] }\n")
                seedTables.append("\"main.s\(schema).t\(table)\": [[\"id\", \"long\"]]")
            }
        }
        let seed = "{\"catalogs\": [\"main\"], \"schemas\": [\((0..<10).map { "\"main.s\($0)\"" }.joined(separator: ", "))], \"tables\": {\(seedTables.joined(separator: ", "))}}"
        let workspace = try FakeWorkspace(in: dir.url, seed: seed)
        let project = try project(workspace, manifests: manifests.joined(separator: "---\n"))
        try workspace.reset()
        let drift = try run(project, "drift", "--env", "dev", "--output", "json")
        #expect(drift.code == 0, "\(drift.output.prefix(2000))")
        let count = workspace.requests.count
        #expect(count <= 36, "a drift cycle over 500 tables made \(count) requests")
        print("databricks drift over 500 tables in 10 schemas: \(count) requests")
        #expect(count >= 12, "one per catalog, one per schema list, one per table list, plus 429 retries: \(count)")
        #expect(workspace.requests.contains { ($0["path"] as? String) == "/api/2.1/unity-catalog/tables" })
        // The ten schemas' tables are listed a few at a time, never more than the client's four connections.
        let overlap = workspace.requests.compactMap { $0["inflight"] as? Int }.max() ?? 0
        #expect(overlap >= 2 && overlap <= 4, "requests answered at once: \(overlap)")
    }

    /// What a workspace holds undeclared imports to manifests whose plan changes nothing (#14).
    @Test func importFromTheWorkspacePlansEmpty() throws {
        let dir = try TemporaryDirectory()
        let seed = """
        {"catalogs": ["main", "legacy"], "schemas": ["main.sales", "legacy.raw"],
         "tables": {"legacy.raw.events": [["id", "long"], ["payload", "string"]], "main.sales.refunds": [["id", "long"], ["amount", "decimal(10,2)"]]}}
        """
        let workspace = try FakeWorkspace(in: dir.url, seed: seed)
        let project = try project(workspace)
        let applied = try run(project, "apply", "--env", "dev")
        #expect(applied.code == 0, "\(applied.output)")
        let imported = try run(project, "import", "--env", "dev", "--select", "Catalog", "--select", "Schema", "--select", "Table")
        #expect(imported.code == 0, "\(imported.output)")
        for file in ["catalogs/legacy.yaml", "schemas/legacy.raw.yaml", "tables/legacy.raw.events.yaml", "tables/main.sales.refunds.yaml"] {
            #expect(imported.stdout.contains("manifests/imported/\(file)"), "\(file): \(imported.stdout)")
        }
        try project.commit("import from the workspace")
        let plan = try run(project, "plan", "--env", "dev")
        #expect(plan.code == 0, "\(plan.output)")
        #expect(plan.stdout.contains("4 to adopt"), "\(plan.stdout)")
    }

    @Test func oauthMachineToMachineTokensAreFetchedOnceAndCached() throws {
        let dir = try TemporaryDirectory()
        let workspace = try FakeWorkspace(in: dir.url)
        try "robot-secret\n".write(to: dir.url.appendingPathComponent("secret"), atomically: true, encoding: .utf8)
        let project = try project(workspace, auth: "{ clientId: \"${env:DATABRICKS_CLIENT_ID}\", clientSecret: \"${file:\(dir.url.path)/secret}\" }")
        let apply = try Shell.run(Paths.reconcile, ["apply", "--env", "dev"], in: project.url, environment: ["DATABRICKS_CLIENT_ID": "robot"])
        #expect(apply.code == 0, "\(apply.output)")
        let tokenRequests = workspace.requests.filter { $0["path"] as? String == "/oidc/v1/token" }.count
        #expect(tokenRequests == 1, "one token for the whole run, \(workspace.requests.count) requests")
        #expect(!apply.stdout.contains("robot-secret") && !apply.stderr.contains("robot-secret"))
        let wrong = try Shell.run(Paths.reconcile, ["plan", "--env", "dev"], in: project.url, environment: ["DATABRICKS_CLIENT_ID": "intruder"])
        #expect(wrong.code == 1)
        #expect(wrong.stderr.contains("Databricks OAuth at \(workspace.host) rejected the credentials (401 Unauthorized)"), "\(wrong.output)")
    }

    @Test func credentialsWarehousesAndStatementsFailClearly() throws {
        let dir = try TemporaryDirectory()
        let workspace = try FakeWorkspace(in: dir.url)
        let project = try project(workspace)
        let wrong = try run(project, "plan", "--env", "dev", token: "s3cr3t-wrong")
        #expect(wrong.code == 1)
        #expect(wrong.stderr.contains("Databricks at \(workspace.host) rejected the credentials (401 Unauthorized); check the token"), "\(wrong.output)")
        #expect(!wrong.stderr.contains("s3cr3t-wrong") && !wrong.stdout.contains("s3cr3t-wrong"), "the token is never printed")

        let unset = try Shell.run(Paths.reconcile, ["plan", "--env", "dev"], in: project.url, environment: ["DATABRICKS_TOKEN": ""])
        #expect(unset.stderr.contains("the environment variable DATABRICKS_TOKEN is not set"))

        let other = try self.project(workspace, warehouse: "nope")
        let noWarehouse = try run(other, "apply", "--env", "dev")
        #expect(noWarehouse.code == 1)
        #expect(noWarehouse.stderr.contains("SQL warehouse nope does not exist on \(workspace.host)"), "\(noWarehouse.output)")

        let failing = try self.project(workspace, manifests: Self.manifests.replacingOccurrences(of: "amount >= 0", with: "fail_here > 0"))
        let failed = try run(failing, "apply", "--env", "dev")
        #expect(failed.code == 1)
        #expect(failed.stderr.contains("statement failed (SQLSTATE 42000): CHECK constraint violated by existing rows"), "\(failed.output)")
    }

    static let lakehouse = """
    apiVersion: reconcile/v1
    kind: Catalog
    metadata: { name: main }
    ---
    apiVersion: reconcile/v1
    kind: Schema
    metadata: { name: main.sales }
    ---
    apiVersion: reconcile/v1
    kind: Schema
    metadata: { name: main.ml }
    ---
    apiVersion: reconcile/v1
    kind: Table
    metadata: { name: main.sales.events }
    spec:
      columns: [{ name: id, type: bigint }, { name: day, type: date }, { name: kind, type: string }]
      clusterBy: [day, kind]
    ---
    apiVersion: reconcile/v1
    kind: Pipeline
    metadata: { name: events-silver }
    spec:
      catalog: main
      target: sales
      libraries: [pipelines/events.sql]
      configuration: { source: raw }
      schedule: { cron: "30 2 * * 1-5", timezone: Europe/Berlin }
      produces: [main.sales.events]
    ---
    apiVersion: reconcile/v1
    kind: Model
    metadata: { name: main.ml.churn }
    spec:
      description: Predicts churn
      versions:
        - { version: 1, source: "dbfs:/models/churn/1", runId: r1, description: first }
        - { version: 2, source: "dbfs:/models/churn/2", runId: r2, description: second }
      aliases: { champion: 1, challenger: 2 }
    """

    static let registered = #"{"model_versions": {"main.ml.churn": [[1, "dbfs:/models/churn/1", "r1"], [2, "dbfs:/models/churn/2", "r2"]]}}"#

    @Test func pipelinesSchedulesModelsAndClusteringConvergeAndDriftIsFound() throws {
        let dir = try TemporaryDirectory()
        let workspace = try FakeWorkspace(in: dir.url, seed: Self.registered)
        let project = try project(workspace, manifests: Self.lakehouse)
        let apply = try run(project, "apply", "--env", "dev")
        #expect(apply.code == 0, "\(apply.output)")
        let plan = try run(project, "plan", "--env", "dev")
        #expect(plan.code == 0, "converges in one apply: \(plan.output)")

        let created = try #require(workspace.requests.first { $0["method"] as? String == "POST" && $0["path"] as? String == "/api/2.0/pipelines" }?["body"] as? [String: Any])
        #expect((created["libraries"] as? [[String: Any]])?.first?["file"] as? [String: String] == ["path": "/Workspace/Shared/reconcile/pipelines/events.sql"])
        #expect((created["configuration"] as? [String: String])?["reconcile.produces"] == "main.sales.events")
        let job = try #require(workspace.requests.first { $0["path"] as? String == "/api/2.1/jobs/create" }?["body"] as? [String: Any])
        #expect(job["name"] as? String == "events-silver (schedule)")
        #expect((job["schedule"] as? [String: String])?["quartz_cron_expression"] == "0 30 2 ? * 2-6", "Monday-Friday is 2-6 in Quartz")
        #expect((job["schedule"] as? [String: String])?["timezone_id"] == "Europe/Berlin")
        let statements = workspace.requests.compactMap { ($0["body"] as? [String: Any])?["statement"] as? String }
        #expect(statements.contains { $0.contains("CLUSTER BY (`day`, `kind`)") })
        let aliasPuts = workspace.requests.filter { $0["method"] as? String == "PUT" && ($0["path"] as? String ?? "").contains("/aliases/") }
        #expect(aliasPuts.count == 2)

        // The pipeline edited in the workspace: drift; the heal names expected_last_modified.
        let pipelineID = try #require(workspace.requests.compactMap { $0["path"] as? String }.first { $0.hasPrefix("/api/2.0/pipelines/") }?.split(separator: "/").last)
        _ = try Shell.run("curl", ["-s", "-X", "PUT", "-H", "Authorization: Bearer good-token", "--data",
                                   #"{"pipeline_id": "\#(pipelineID)", "name": "events-silver", "catalog": "main", "target": "sales", "development": true, "continuous": false, "libraries": [], "configuration": {"source": "raw", "reconcile.produces": "main.sales.events"}}"#,
                                   "\(workspace.host)/api/2.0/pipelines/\(pipelineID)"])
        _ = try Shell.run("curl", ["-s", "-X", "PUT", "-H", "Authorization: Bearer good-token", "--data", #"{"version_num": 2}"#,
                                   "\(workspace.host)/api/2.1/unity-catalog/models/main.ml.churn/aliases/champion"])
        let drift = try run(project, "drift", "--env", "dev")
        #expect(drift.code == 2, "\(drift.output)")
        #expect(drift.stdout.contains("Pipeline/events-silver"), "\(drift.stdout)")
        #expect(drift.stdout.contains("development"), "\(drift.stdout)")
        #expect(drift.stdout.contains("aliases.champion"), "\(drift.stdout)")
        try workspace.reset()
        let heal = try run(project, "drift", "--env", "dev", "--heal")
        #expect(heal.code == 0, "\(heal.output)")
        let put = try #require(workspace.requests.first { $0["method"] as? String == "PUT" && $0["path"] as? String == "/api/2.0/pipelines/\(pipelineID)" }?["body"] as? [String: Any])
        #expect(put["expected_last_modified"] is Int)
        #expect(try run(project, "drift", "--env", "dev").code == 0)

        // Re-keying the clustering and moving the schedule are in-place changes.
        try project.write("manifests/all.yaml", Self.lakehouse.replacingOccurrences(of: "clusterBy: [day, kind]", with: "clusterBy: [kind]")
            .replacingOccurrences(of: "30 2 * * 1-5", with: "0 4 * * *"))
        try project.commit("recluster, reschedule")
        #expect(try run(project, "apply", "--env", "dev").code == 0)
        let later = workspace.requests.compactMap { ($0["body"] as? [String: Any]) }
        #expect(later.contains { $0["statement"] as? String == "ALTER TABLE `main`.`sales`.`events` CLUSTER BY (`kind`)" })
        #expect(later.contains { (($0["new_settings"] as? [String: Any])?["schedule"] as? [String: String])?["quartz_cron_expression"] == "0 0 4 * * ?" })
        #expect(try run(project, "plan", "--env", "dev").code == 0)

        // Removing the schedule deletes its job; removing the pipeline deletes it.
        try project.write("manifests/all.yaml", Self.lakehouse.components(separatedBy: "---\napiVersion: reconcile/v1\nkind: Pipeline")[0]
            + "---\n" + Self.lakehouse.components(separatedBy: "---\n").last!)
        try project.commit("no pipeline")
        let guarded = try run(project, "apply", "--env", "dev")
        #expect(guarded.code == 1, "the last pipeline going is refused without --allow-empty: \(guarded.output)")
        let removal = try run(project, "apply", "--env", "dev", "--allow-empty")
        #expect(removal.code == 0, "\(removal.output)")
        #expect(workspace.requests.contains { $0["path"] as? String == "/api/2.1/jobs/delete" })
        #expect(workspace.requests.contains { $0["method"] as? String == "DELETE" && $0["path"] as? String == "/api/2.0/pipelines/\(pipelineID)" })
    }

    @Test func unregisteredVersionsTagsAndForbiddenAccessAreClearErrors() throws {
        let dir = try TemporaryDirectory()
        let workspace = try FakeWorkspace(in: dir.url, seed: Self.registered)
        let unregistered = Self.lakehouse.replacingOccurrences(of: "  aliases: { champion: 1, challenger: 2 }",
                                                               with: "    - { version: 3, source: \"dbfs:/models/churn/3\" }\n  aliases: { champion: 3 }")
        let project = try project(workspace, manifests: unregistered)
        let failed = try run(project, "apply", "--env", "dev")
        #expect(failed.code == 1)
        #expect(failed.stderr.contains("Model/main.ml.churn: version 3 is not registered in Unity Catalog; register it with MLflow"), "\(failed.output)")

        let tagged = try self.project(workspace, manifests: Self.lakehouse.replacingOccurrences(of: "description: Predicts churn", with: "description: Predicts churn\n  tags: { team: ds }"))
        let refused = try run(tagged, "apply", "--env", "dev")
        #expect(refused.stderr.contains("spec.tags and spec.versions[].tags cannot be set on Databricks"), "\(refused.output)")

        let secret = try self.project(workspace, manifests: Self.manifests.replacingOccurrences(of: "name: main.sales.orders }\n  grants", with: "name: main.sales.forbidden }\n  grants"))
        let forbidden = try run(secret, "plan", "--env", "dev")
        #expect(forbidden.code == 1)
        #expect(forbidden.stderr.contains("refused access (403 Forbidden); the identity lacks permission"), "\(forbidden.output)")
    }
}
