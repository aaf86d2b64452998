import Foundation
import Testing
import TestSupport

/// One `watch` process reconciling several environments (#16): each on its own
/// schedule and with its own status, one mirror, one registry, one HTTP server.
@Suite(.serialized) struct MultiEnvironmentWatchTests {
    /// dev and staging, both syncing by themselves, with a flag whose default
    /// differs by environment.
    func project() throws -> Project {
        let project = try Project()
        for (name, theme) in [("dev", "dark"), ("staging", "light")] {
            try project.write("environments/\(name).yaml", """
            apiVersion: reconcile/v1
            kind: Environment
            metadata: { name: \(name) }
            spec:
              target: { type: local, path: .lakehouse/\(name) }
              variables: { catalog: main, theme: \(theme) }
              policy: { destructive: allow, prune: true, autoSync: true, drift: heal }
            """)
        }
        try FileManager.default.removeItem(at: project.url.appendingPathComponent("environments/prod.yaml"))
        try project.write("manifests/flags.yaml", """
        apiVersion: reconcile/v1
        kind: FeatureFlag
        metadata: { name: theme }
        spec:
          variants: { dark: dark, light: light }
          defaultVariant: "${var.theme}"
        """)
        try project.write(".gitignore", ".lakehouse/\n.reconcile/\n*.log\nmetrics-*\n*.json\n")
        try project.commit("two environments")
        return project
    }

    func status(_ watcher: Watcher, _ environment: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(watcher.get("/api/v1/environments/\(environment)/status").body.utf8)) as? [String: Any])
    }

    func condition(_ watcher: Watcher, _ environment: String, _ type: String) throws -> [String: Any]? {
        (try status(watcher, environment)["conditions"] as? [[String: Any]])?.first { $0["type"] as? String == type }
    }

    func theme(_ watcher: Watcher, _ prefix: String) throws -> (status: Int, body: String) {
        let response = try watcher.request("POST", "\(prefix)/ofrep/v1/evaluate/flags/theme", body: "{\"context\":{\"targetingKey\":\"u1\"}}",
                                           headers: ["Content-Type: application/json"])
        return (response.status, response.body)
    }

    @Test func oneProcessReconcilesTwoEnvironmentsEachOnItsOwn() throws {
        let project = try project()
        let daemon = try WatchTests.Daemon(serving: project)
        let cache = try TemporaryDirectory()
        let watcher = try Watcher(project, arguments: ["--env", "dev", "--env", "staging", "--repo", daemon.url],
                                  environment: ["XDG_CACHE_HOME": cache.url.path, "RECONCILE_API_TOKEN": "t0ken"])
        let first = try project.repo.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        for environment in ["dev", "staging"] {
            try watcher.wait(30, "\(environment) applied") { try status(watcher, environment)["lastAppliedRevision"] as? String == first }
        }
        #expect(FileManager.default.fileExists(atPath: project.url.appendingPathComponent(".lakehouse/staging/main/silver/orders/_delta_log").path))
        let mirrors = try FileManager.default.contentsOfDirectory(atPath: cache.url.appendingPathComponent("reconcile/watch").path)
        #expect(mirrors.count == 1 && mirrors[0].hasSuffix("-dev+staging.git"), "one mirror for both: \(mirrors)")

        // Routes name their environment; the ones without a name refuse to guess.
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(watcher.get("/api/v1/environments").body.utf8)) as? [String: Any])
        #expect((listed["environments"] as? [[String: Any]])?.compactMap { $0["environment"] as? String } == ["dev", "staging"])
        let ambiguous = try watcher.get("/api/v1/status")
        #expect(ambiguous.status == 400 && ambiguous.body.contains("/api/v1/environments/{env}/status"), "\(ambiguous)")
        let unknown = try watcher.get("/api/v1/environments/nope/plan")
        #expect(unknown.status == 404 && unknown.body.contains("dev, staging"), "\(unknown)")
        #expect(try watcher.get("/api/v1/environments/staging/plan").body.contains("\"formatVersion\": 1"))
        #expect(try watcher.get("/api/v1/environments/dev/history").body.contains(first))

        // OFREP answers from each environment's own applied flags.
        let dark = try theme(watcher, "/environments/dev").body
        #expect(dark.contains("\"value\": \"dark\""), "\(dark)")
        let light = try theme(watcher, "/environments/staging").body
        #expect(light.contains("\"value\": \"light\""), "\(light)")
        #expect(try theme(watcher, "").status == 400)
        #expect(try theme(watcher, "/environments/prod").status == 404)

        // One registry, a label per environment.
        let metrics = try watcher.metrics()
        for environment in ["dev", "staging"] {
            #expect(watcher.sample(metrics, "reconcile_runs_total", ["environment": environment, "result": "applied"]) ?? 0 >= 1, "\(environment)")
            #expect(watcher.sample(metrics, "reconcile_resources", ["environment": environment, "kind": "FeatureFlag"]) == 1)
        }
        #expect(try watcher.request("POST", "/api/v1/environments/nope/sync", headers: ["Authorization: Bearer t0ken"]).status == 404)
        #expect(try watcher.request("POST", "/api/v1/environments/dev/sync").status == 401)
        #expect(try watcher.request("POST", "/api/v1/environments/dev/sync", headers: ["Authorization: Bearer t0ken"]).status == 202)

        // A broken staging file stalls staging only: dev applies the same revision.
        try project.write("environments/staging.yaml", try project.read("environments/staging.yaml").replacingOccurrences(of: "policy:", with: "polcy:"))
        try project.write("manifests/silver/orders.yaml", Project.orders.replacingOccurrences(of: "One row per order", with: "Orders, one row each"))
        let second = try project.commit("staging file typo")
        try daemon.push(project)
        try watcher.wait(15, "dev applied the new revision") { try status(watcher, "dev")["lastAppliedRevision"] as? String == second }
        try watcher.wait(15, "staging stalled") { try condition(watcher, "staging", "Stalled")?["status"] as? Bool == true }
        #expect((try condition(watcher, "staging", "Stalled")?["message"] as? String ?? "").contains("polcy"))
        #expect(try status(watcher, "staging")["lastAppliedRevision"] as? String == first, "staging keeps what it applied")
        let readiness = try watcher.get("/readyz")
        #expect(readiness.status == 503 && readiness.body.contains("staging: not ready") && readiness.body.contains("dev: ready"), "\(readiness)")
        #expect(try project.deltaRS(".lakehouse/staging/main/silver/orders")["description"] as? String == "One row per order", "staging untouched")
        #expect(watcher.stop() == 0)
    }

    @Test func allReconcilesEveryDeclaredEnvironmentAndTheFlagsAreChecked() throws {
        let project = try project()
        let watcher = try Watcher(project, arguments: ["--all"])
        for environment in ["dev", "staging"] {
            try watcher.wait(30, "\(environment) applied") { try status(watcher, environment)["lastAppliedRevision"] as? String != nil }
        }
        #expect(try watcher.get("/readyz").body.contains("staging: ready"))
        #expect(watcher.stop() == 0)

        let none = try Shell.run(Paths.reconcile, ["watch", "--listen", "127.0.0.1:0"], in: project.url)
        #expect(none.code != 0 && none.stderr.contains("--env NAME (repeat it for several) or --all"), "\(none.output)")
        let both = try Shell.run(Paths.reconcile, ["watch", "--all", "--env", "dev", "--listen", "127.0.0.1:0"], in: project.url)
        #expect(both.code != 0 && both.stderr.contains("drop --env dev, or drop --all"), "\(both.output)")
        let twice = try Shell.run(Paths.reconcile, ["watch", "--env", "dev", "--env", "dev", "--listen", "127.0.0.1:0"], in: project.url)
        #expect(twice.code != 0 && twice.stderr.contains("--env dev is given twice"), "\(twice.output)")
        let empty = try TemporaryDirectory()
        try Shell.check("git", ["init", "-q", empty.url.path])
        try Shell.check("git", ["-C", empty.url.path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "empty"])
        let nothing = try Shell.run(Paths.reconcile, ["watch", "--all", "--listen", "127.0.0.1:0", "--cache-dir", empty.url.appendingPathComponent("m.git").path],
                                    in: empty.url)
        #expect(nothing.code == 1 && nothing.stderr.contains("declares no environment"), "\(nothing.output)")
    }
}
