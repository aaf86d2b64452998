import Foundation
import Testing
import TestSupport

/// A real `mlflow server` (lean settings) on loopback, started and stopped here.
final class MLflowServer: @unchecked Sendable {
    let directory: TemporaryDirectory
    let port = FreePort.next()
    var url: String { "http://127.0.0.1:\(port)" }
    private var process: Process?

    init() throws {
        directory = try TemporaryDirectory("reconcile-mlflow")
        try start()
    }

    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Paths.mlflowPython)
        process.arguments = ["-m", "mlflow", "server", "--workers", "1",
                             "--backend-store-uri", "sqlite:///\(directory.url.path)/mlflow.db",
                             "--default-artifact-root", directory.url.appendingPathComponent("artifacts").path,
                             "--host", "127.0.0.1", "--port", "\(port)"]
        var environment = ProcessInfo.processInfo.environment
        environment["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline {
            if (try? Shell.run("curl", ["-sf", "--max-time", "2", "\(url)/health"]).code) == 0 { return }
            usleep(250_000)
        }
        throw TestFailure("mlflow server did not start on \(port)")
    }

    /// Kills the server and every worker it started.
    func kill() {
        guard let process else { return }
        _ = try? Shell.run("pkill", ["-9", "-P", "\(process.processIdentifier)"])
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        _ = try? Shell.run("pkill", ["-9", "-f", "-e", "port \(port) "])
        self.process = nil
    }

    deinit { kill() }

    /// Runs Python with an MlflowClient bound to this server.
    func python(_ code: String) throws -> String {
        let result = try Shell.run(Paths.mlflowPython, ["-c", "from mlflow import MlflowClient\nclient = MlflowClient(tracking_uri='\(url)', registry_uri='\(url)')\n" + code])
        guard result.code == 0 else { throw TestFailure("mlflow client failed: \(result.output)") }
        return result.stdout
    }
}

@Suite(.serialized) struct MLflowTests {
    func project(_ server: MLflowServer, versions: Int = 2) throws -> Project {
        let project = try Project()
        try project.write("environments/dev.yaml", """
        apiVersion: reconcile/v1
        kind: Environment
        metadata: { name: dev }
        spec:
          targets:
            default: { type: local, path: .lakehouse/dev }
            models: { type: mlflow, url: "\(server.url)" }
          variables: { catalog: main }
          policy: { destructive: allow }
        """)
        let list = (1...versions).map { "    - { version: \($0), source: \"s3://models/churn/\($0)\", description: \"v\($0)\", tags: { auc: \"0.\(80 + $0 % 10)\" } }" }.joined(separator: "\n")
        try project.write("manifests/ml.yaml", """
        apiVersion: reconcile/v1
        kind: Schema
        metadata: { name: main.ml }
        ---
        apiVersion: reconcile/v1
        kind: Model
        metadata: { name: main.ml.churn }
        spec:
          description: Churn classifier
          tags: { team: ds }
          versions:
        \(list)
          aliases: { champion: 1, challenger: \(min(2, versions)) }
        """)
        try project.commit("models in mlflow")
        return project
    }

    @Test func modelsAreAppliedToMLflowAndAMovedAliasIsDriftThatHeals() throws {
        let server = try MLflowServer()
        let project = try project(server)
        let plan = try project.reconcile("plan", "--env", "dev", "--output", "json")
        #expect(plan.code == 2, "\(plan.output)")
        let planned = try #require(try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any])
        #expect(((planned["requests"] as? [String: Int])?["mlflow \(server.url)"] ?? 0) >= 2, "requests are accounted: \(planned["requests"] ?? "")")
        try project.apply()
        #expect(try project.reconcile("plan", "--env", "dev").code == 0, "converges in one apply")

        let state = try server.python("""
            m = client.get_registered_model('main.ml.churn')
            vs = sorted(client.search_model_versions("name='main.ml.churn'"), key=lambda v: int(v.version))
            print(m.description, m.tags.get('team'), sorted(m.aliases.items()), [(v.version, v.source, v.description, v.tags.get('auc')) for v in vs])
            """)
        #expect(state.contains("Churn classifier ds [('challenger', '2'), ('champion', '1')]"), "\(state)")
        #expect(state.contains("('1', 's3://models/churn/1', 'v1', '0.81')"), "\(state)")

        // Someone moves the champion by hand.
        _ = try server.python("client.set_registered_model_alias('main.ml.churn', 'champion', '2')")
        let drift = try project.reconcile("drift", "--env", "dev")
        #expect(drift.code == 2, "\(drift.output)")
        #expect(drift.stdout.contains("changed Model/main.ml.churn"))
        #expect(drift.stdout.contains("aliases.champion: 2 here, declared 1"))
        #expect(try project.reconcile("drift", "--env", "dev", "--heal").code == 0)
        #expect(try project.reconcile("drift", "--env", "dev").code == 0)
        #expect(try server.python("print(client.get_registered_model('main.ml.churn').aliases['champion'])").trimmingCharacters(in: .whitespacesAndNewlines) == "1")
    }

    /// On an mlflow target a model's name is MLflow's (#14), and what the registry holds
    /// undeclared imports to manifests whose plan changes nothing.
    @Test func mlflowNamesAndImportConverge() throws {
        let server = try MLflowServer()
        let project = try project(server)
        try project.write("manifests/fraud.yaml", """
        apiVersion: reconcile/v1
        kind: Model
        metadata: { name: fraud-detector }
        spec:
          versions: [{ version: 1, source: "s3://models/fraud/1" }]
          aliases: { champion: 1 }
        """)
        try project.commit("an MLflow-named model")
        try project.apply()
        #expect(try project.reconcile("plan", "--env", "dev").code == 0, "converges")
        #expect(try server.python("print(client.get_registered_model('fraud-detector').aliases['champion'])").contains("1"))

        // Someone registers a model by hand; import writes its manifest.
        _ = try server.python("""
            client.create_registered_model('legacy-scorer', description='Scores the old way', tags={'team': 'risk'})
            client.create_model_version('legacy-scorer', 's3://models/legacy/1', description='first')
            """)
        let imported = try project.reconcile("import", "--env", "dev", "--select", "Model")
        #expect(imported.code == 0, "\(imported.output)")
        #expect(imported.stdout.contains("manifests/imported/models/legacy-scorer.yaml"), "\(imported.stdout)")
        try project.commit("import legacy-scorer")
        let plan = try project.reconcile("plan", "--env", "dev")
        #expect(plan.code == 0, "adopting it changes nothing: \(plan.output)")
        #expect(plan.stdout.contains("<= Model/legacy-scorer"), "\(plan.stdout)")

        // A UC-shaped name rule still holds where Unity Catalog (here, the local lakehouse) holds models.
        try project.write("environments/dev.yaml", try project.read("environments/dev.yaml").replacingOccurrences(of: "    models: { type: mlflow, url: \"\(server.url)\" }\n", with: ""))
        try project.commit("models back on the local lakehouse")
        let local = try project.reconcile("validate")
        #expect(local.code == 1)
        #expect(local.stderr.contains("a model keeps an MLflow name like \"fraud-detector\" only where the environment routes models to an mlflow target"), "\(local.stderr)")
    }

    @Test func aServerKilledMidApplyIsAClearErrorAndTheNextRunConverges() throws {
        let server = try MLflowServer()
        let project = try project(server, versions: 400)
        let apply = Process()
        apply.executableURL = URL(fileURLWithPath: Paths.reconcile)
        apply.arguments = ["apply", "--env", "dev"]
        apply.currentDirectoryURL = project.url
        let errors = Pipe()
        apply.standardOutput = FileHandle.nullDevice
        apply.standardError = errors
        try apply.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, apply.isRunning {
            let page = (try? Shell.run("curl", ["-s", "--max-time", "2", "\(server.url)/api/2.0/mlflow/model-versions/search?max_results=1000"]))?.stdout ?? ""
            if page.components(separatedBy: "\"source\"").count - 1 >= 10 { break }
            usleep(20_000)
        }
        #expect(apply.isRunning, "the apply should still be running when the server dies")
        server.kill()
        apply.waitUntilExit()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(apply.terminationStatus == 1, "\(stderr)")
        #expect(stderr.contains("MLflow at \(server.url)/api/2.0/mlflow could not be reached"), "\(stderr)")

        try server.start()
        let next = try project.reconcile("apply", "--env", "dev")
        #expect(next.code == 0, "\(next.output)")
        #expect(try project.reconcile("plan", "--env", "dev").code == 0)
        let count = try server.python("print(len(client.search_model_versions(\"name='main.ml.churn'\")))").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(count == "400")
    }

    @Test func theServerDownAndRejectedSourcesAreClearErrors() throws {
        let server = try MLflowServer()
        let project = try project(server)
        server.kill()
        let down = try project.reconcile("plan", "--env", "dev")
        #expect(down.code == 1)
        #expect(down.stderr.contains("MLflow at \(server.url)/api/2.0/mlflow could not be reached"), "\(down.output)")

        // A source the server refuses: a local path outside any run's artifacts.
        try server.start()
        try project.write("manifests/ml.yaml", try project.read("manifests/ml.yaml").replacingOccurrences(of: "s3://models/churn/2", with: "file:///etc/models/churn"))
        try project.commit("a local source")
        let rejected = try project.reconcile("apply", "--env", "dev")
        #expect(rejected.code == 1, "\(rejected.output)")
        #expect(rejected.stderr.contains("Model/main.ml.churn: MLflow at \(server.url)/api/2.0/mlflow answered 400 INVALID_PARAMETER_VALUE"), "\(rejected.stderr)")
    }
}
