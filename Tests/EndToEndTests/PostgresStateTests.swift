import Foundation
import Testing
import TestSupport

/// An environment whose history, inventory, journal, holds and lock live in
/// PostgreSQL (#16), run as a user runs it, against PostgreSQL from Debian's packages.
@Suite struct PostgresStateTests {
    static let environment = Project.devEnvironment + "\n  state: { postgres: \"${env:RECONCILE_DATABASE_URL}\" }\n"

    func project(marker: String? = nil) throws -> (Project, database: String, url: String) {
        let server = try PostgresServer.start()
        let database = try server.database()
        let project = try Project(marker: marker)
        try project.write("environments/dev.yaml", Self.environment)
        try project.commit("state in PostgreSQL")
        return (project, database.name, database.url)
    }

    func run(_ project: Project, _ url: String, _ arguments: [String], fault: Int? = nil) throws -> ProcessResult {
        var environment = ["RECONCILE_DATABASE_URL": url]
        if let fault { environment["RECONCILE_FAULT_KILL_AT"] = "\(fault)" }
        return try Shell.run(Paths.reconcile, arguments, in: project.url, environment: environment)
    }

    @Test func applyPlanAndHistoryLiveInPostgres() throws {
        let (project, database, url) = try project()
        let apply = try run(project, url, ["apply", "--env", "dev"])
        #expect(apply.code == 0, "\(apply.output)")
        #expect(try run(project, url, ["plan", "--env", "dev"]).code == 0, "converged")
        let history = try run(project, url, ["history", "--env", "dev"])
        #expect(history.code == 0 && history.stdout.contains("succeeded"), "\(history.output)")
        let server = try PostgresServer.start()
        #expect(try server.sql("SELECT count(*) FROM applies WHERE environment = 'dev' AND outcome = 'succeeded'", database: database) == "1")
        #expect(try server.sql("SELECT count(*) FROM inventory WHERE environment = 'dev'", database: database) == "3")
        #expect(try server.sql("SELECT max(version) FROM reconcile_schema", database: database) == "2")
        #expect(!FileManager.default.fileExists(atPath: project.url.appendingPathComponent(".lakehouse/dev/.reconcile/state.db").path), "no SQLite store beside it")
        #expect(try run(project, url, ["audit", "verify", "--env", "dev"]).code == 0)

        // The URL is a secret: never printed, even when it is wrong.
        let wrong = try run(project, "postgres://reconcile:hunter2@127.0.0.1:1/nothing", ["plan", "--env", "dev"])
        #expect(wrong.code == 1, "\(wrong.output)")
        #expect(!wrong.output.contains("hunter2") && wrong.stderr.contains("postgres://reconcile@127.0.0.1:1/nothing"), "\(wrong.output)")
    }

    /// A holder killed at any durable step releases the lock with its session: the next
    /// apply takes over without a liveness guess, even when the holder's row names
    /// another host (where the process check alone could only say "unknown").
    @Test func aHolderKilledAnywhereIsTakenOverWithoutAGuess() throws {
        let server = try PostgresServer.start()
        var killedAt: [Int] = []
        for step in [2, 5, 9] {
            let (project, database, url) = try project()
            let killed = try run(project, url, ["apply", "--env", "dev"], fault: step)
            guard killed.stderr.contains("fault injection: killed at step") else { continue }
            killedAt.append(step)
            #expect(try server.sql("SELECT count(*) FROM locks", database: database) == "1", "step \(step): the killed holder's row stays")
            try server.sql("UPDATE locks SET host = 'another-host', pid_namespace = ''", database: database)
            let next = try run(project, url, ["apply", "--env", "dev"])
            #expect(next.code == 0, "step \(step): \(next.output)")
            #expect(next.stderr.contains("no longer running; took over its stale lock"), "step \(step): \(next.output)")
            #expect(try run(project, url, ["plan", "--env", "dev"]).code == 0, "step \(step): converged")
            #expect(try server.sql("SELECT count(*) FROM locks", database: database) == "0")
        }
        #expect(killedAt == [2, 5, 9], "each step lies inside the apply")
    }

    /// Two `watch` replicas on one environment and one store: one leads and applies,
    /// the other plans, serves and stands by; when the leader dies (SIGKILL), its
    /// session and leadership end, and the standby applies the next commit.
    @Test func twoReplicasOneAppliesAndTheStandbyTakesOverWhenTheLeaderDies() throws {
        let server = try PostgresServer.start()
        let database = try server.database()
        let project = try Project()
        try project.write("environments/dev.yaml", Self.environment.replacingOccurrences(of: "prune: true }", with: "prune: true, autoSync: true }"))
        try project.commit("replicas")
        let environment = ["RECONCILE_DATABASE_URL": database.url]
        let first = try Watcher(project, arguments: ["--env", "dev", "--cache-dir", project.url.path + "/.cache-1"], environment: environment)
        let head = try project.repo.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        try first.wait(60, "the first replica to lead and apply") { try first.status()["role"] as? String == "leader" && first.status()["lastAppliedRevision"] as? String == head }
        let second = try Watcher(project, arguments: ["--env", "dev", "--cache-dir", project.url.path + "/.cache-2"], environment: environment)
        try second.wait(30, "the second replica to stand by") { try second.status()["role"] as? String == "standby" }

        try project.write("manifests/silver/fresh.yaml", "apiVersion: reconcile/v1\nkind: Table\nmetadata: { name: main.silver.fresh }\nspec: { columns: [{ name: id, type: bigint }] }\n")
        let next = try project.commit("a new table")
        try first.wait(30, "the leader to apply it") { try first.status()["lastAppliedRevision"] as? String == next }
        try second.wait(30, "the standby to see it applied") { try second.status()["lastAppliedRevision"] as? String == next }
        #expect(!second.logText.contains("create applied"), "the standby applied nothing: \(second.logText.suffix(2000))")

        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        try project.write("manifests/silver/later.yaml", "apiVersion: reconcile/v1\nkind: Table\nmetadata: { name: main.silver.later }\nspec: { columns: [{ name: id, type: bigint }] }\n")
        let last = try project.commit("another table")
        try second.wait(30, "the standby to take over and apply") { try second.status()["role"] as? String == "leader" && second.status()["lastAppliedRevision"] as? String == last }
        #expect(second.logText.contains("create applied"))
        #expect(try server.sql("SELECT count(*) FROM applies WHERE outcome = 'succeeded'", database: database.name) == "3", "one apply per revision, never two")
        #expect(try server.sql("SELECT count(*) FROM applies WHERE outcome <> 'succeeded'", database: database.name) == "0")
    }

    /// Two projects, one database, and a `dev` each (#16): the second is refused before
    /// it reads or writes anything of the first's, which stays applied; under its own
    /// environment name it applies beside it.
    @Test func anotherProjectsEnvironmentOfTheSameNameIsRefused() throws {
        let (first, database, url) = try project()
        #expect(try run(first, url, ["apply", "--env", "dev"]).code == 0)
        let (second, _, _) = try project(marker: "the second project")
        try second.write("manifests/silver/orders.yaml", "")
        try second.commit("no orders here")

        for verb in ["plan", "apply", "drift"] {
            let refused = try run(second, url, [verb, "--env", "dev"])
            #expect(refused.code != 0, "\(verb): \(refused.output)")
            #expect(refused.stderr.contains("environments/dev.yaml:") && refused.stderr.contains("environment dev in the state store")
                    && refused.stderr.contains("belongs to another project (git:"), "\(verb): \(refused.output)")
        }
        let server = try PostgresServer.start()
        #expect(try server.sql("SELECT count(*) FROM applies", database: database) == "1", "the second project wrote nothing")
        #expect(try server.sql("SELECT count(*) FROM inventory WHERE environment = 'dev'", database: database) == "3")
        #expect(try server.sql("SELECT count(*) FROM environment_owners", database: database) == "1")
        let plan = try run(first, url, ["plan", "--env", "dev"])
        #expect(plan.code == 0, "the first project's environment is as it left it: \(plan.output)")

        try second.write("environments/dev.yaml", Self.environment.replacingOccurrences(of: "metadata: { name: dev }", with: "metadata: { name: dev-b }"))
        try second.repo.git("mv", "environments/dev.yaml", "environments/dev-b.yaml")
        try second.commit("its own name")
        let own = try run(second, url, ["apply", "--env", "dev-b"])
        #expect(own.code == 0, "\(own.output)")
        #expect(try server.sql("SELECT count(*) FROM environment_owners", database: database) == "2")
    }

    @Test func aDatabaseMigratedByANewerReconcileIsRefused() throws {
        let (project, database, url) = try project()
        #expect(try run(project, url, ["apply", "--env", "dev"]).code == 0)
        try PostgresServer.start().sql("INSERT INTO reconcile_schema (version) VALUES (99)", database: database)
        let refused = try run(project, url, ["plan", "--env", "dev"])
        #expect(refused.code == 1, "\(refused.output)")
        #expect(refused.stderr.contains("migrated by a newer reconcile (schema version 99"), "\(refused.output)")
    }

    @Test func theURLIsAReferenceNeverALiteralInGit() throws {
        let project = try Project()
        try project.write("environments/dev.yaml", Project.devEnvironment + "\n  state: { postgres: \"postgres://me:secret@db.example.com/state\" }\n")
        try project.commit("a password in git")
        let result = try project.reconcile("validate")
        #expect(result.code == 1)
        #expect(result.stderr.contains("environments/dev.yaml:8:") && result.stderr.contains("spec.state.postgres must be a reference"), "\(result.output)")
        try project.write("environments/dev.yaml", Project.devEnvironment + "\n  state: { postgres: \"${env:X}\", path: state.db }\n")
        try project.commit("two stores")
        #expect(try project.reconcile("validate").stderr.contains("spec.state takes path or postgres, not both"))
    }
}
