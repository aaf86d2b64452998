import Foundation
import Testing
import TestSupport

/// A running `reconcile watch`, stopped (SIGTERM) when released.
final class Watcher: @unchecked Sendable {
    let process = Process()
    let port: Int
    let log: URL
    private(set) var stopped = false

    init(_ project: Project, arguments: [String], environment: [String: String] = [:], interval: String = "1s") throws {
        port = FreePort.next()
        log = project.url.appendingPathComponent("watch-\(port).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: Paths.reconcile)
        process.arguments = ["watch", "--interval", interval, "--listen", "127.0.0.1:\(port)"] + arguments
        process.currentDirectoryURL = project.url
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if (try? get("/healthz").status) == 200 { return }
            usleep(100_000)
        }
        throw TestFailure("watch did not serve on \(port): \(logText)")
    }

    deinit { if !stopped { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() } }

    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    func request(_ method: String, _ path: String, body: String? = nil, headers: [String] = []) throws -> (status: Int, body: String, headers: String) {
        var arguments = ["-s", "-i", "-X", method, "--max-time", "20", "http://127.0.0.1:\(port)\(path)"]
        for header in headers { arguments += ["-H", header] }
        if let body { arguments += ["--data-binary", body] }
        let result = try Shell.run("curl", arguments)
        let text = result.stdout
        guard let split = text.range(of: "\r\n\r\n") else { throw TestFailure("no response: \(result.output)") }
        let head = String(text[..<split.lowerBound])
        let status = Int(head.split(separator: " ").dropFirst().first ?? "0") ?? 0
        return (status, String(text[split.upperBound...]), head)
    }

    func get(_ path: String) throws -> (status: Int, body: String) {
        let response = try request("GET", path)
        return (response.status, response.body)
    }

    func status() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(get("/api/v1/status").body.utf8)) as? [String: Any])
    }

    func condition(_ type: String) throws -> [String: Any]? {
        (try status()["conditions"] as? [[String: Any]])?.first { $0["type"] as? String == type }
    }

    /// Polls until `check` holds, or fails after `seconds`.
    func wait(_ seconds: Double, _ what: String, _ check: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? check()) == true { return }
            usleep(200_000)
        }
        throw TestFailure("timed out waiting for \(what); log:\n\(logText.suffix(3000))")
    }

    /// SIGTERM, then the exit status.
    func stop() -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        stopped = true
        return process.terminationStatus
    }

    /// The metrics, parsed by prometheus_client.
    func metrics() throws -> [String: Any] {
        let text = try get("/metrics").body
        let file = log.deletingLastPathComponent().appendingPathComponent("metrics-\(port).txt")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let result = try Shell.run("sh", ["-c", "\"$0\" \"$1\" < \"$2\"", Paths.python, Paths.support.appendingPathComponent("prom_parse.py").path, file.path])
        guard result.code == 0 else { throw TestFailure("prometheus_client could not parse /metrics: \(result.output)\n\(text)") }
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    func sample(_ metrics: [String: Any], _ name: String, _ labels: [String: String] = [:]) -> Double? {
        (metrics["samples"] as? [[String: Any]])?.first { sample in
            sample["name"] as? String == name && labels.allSatisfy { (sample["labels"] as? [String: String])?[$0.key] == $0.value }
        }?["value"] as? Double
    }
}

@Suite(.serialized) struct WatchTests {
    /// A project whose dev environment syncs by itself, with a given drift policy.
    func project(drift: String = "heal", autoSync: Bool = true) throws -> Project {
        let project = try Project()
        try project.write("environments/dev.yaml", """
        apiVersion: reconcile/v1
        kind: Environment
        metadata: { name: dev }
        spec:
          target: { type: local, path: .lakehouse/dev }
          variables: { catalog: main }
          policy: { destructive: allow, prune: true, autoSync: \(autoSync), drift: \(drift) }
        """)
        try project.write("manifests/flags.yaml", """
        apiVersion: reconcile/v1
        kind: FeatureFlag
        metadata: { name: rollout }
        spec:
          variants: { "on": true, "off": false }
          defaultVariant: "off"
          targeting: { fractional: [["on", 30], ["off", 70]] }
        ---
        apiVersion: reconcile/v1
        kind: FeatureFlag
        metadata: { name: theme }
        spec:
          variants: { dark: dark, light: light, contrast: contrast }
          defaultVariant: light
          targeting:
            if:
              - { ends_with: [{ var: email }, "@example.com"] }
              - dark
              - { fractional: [{ cat: [{ var: "$flagd.flagKey" }, { var: email }] }, [light, 50], [contrast, 50]] }
        ---
        apiVersion: reconcile/v1
        kind: FeatureFlag
        metadata: { name: retired }
        spec:
          state: DISABLED
          variants: { a: 1, b: 2 }
          defaultVariant: a
        """)
        try project.write(".gitignore", ".lakehouse/\n.reconcile/\n*.log\nmetrics-*\n*.json\n")
        try project.commit("watchable")
        return project
    }

    /// A bare copy served by `git daemon` on loopback.
    final class Daemon {
        let process = Process()
        let root: TemporaryDirectory
        let port = FreePort.next()
        var url: String { "git://127.0.0.1:\(port)/repo.git" }
        var bare: URL { root.url.appendingPathComponent("repo.git") }

        init(serving project: Project) throws {
            root = try TemporaryDirectory("reconcile-daemon")
            try Shell.check("git", ["clone", "-q", "--bare", project.url.path, bare.path])
            // git-daemon itself, not the `git daemon` wrapper, so a signal reaches it.
            let daemon = (try? Shell.run("git", ["--exec-path"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)).map { $0 + "/git-daemon" } ?? "/usr/lib/git-core/git-daemon"
            process.executableURL = URL(fileURLWithPath: daemon)
            process.arguments = ["--reuseaddr", "--export-all", "--base-path=\(root.url.path)", "--listen=127.0.0.1", "--port=\(port)", root.url.path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                if (try? Shell.run("git", ["ls-remote", url]).code) == 0 { return }
                usleep(100_000)
            }
            throw TestFailure("git daemon did not start on \(port)")
        }

        deinit { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }

        /// Pushes the project's main to the served repository.
        func push(_ project: Project, force: Bool = false) throws {
            try project.repo.git("push", "-q", force ? "--force" : "-q", bare.path, "main:main")
        }
    }

    @Test func aPushedCommitIsAppliedAndShownInStatusAndMetrics() throws {
        let project = try project()
        let daemon = try Daemon(serving: project)
        let watcher = try Watcher(project, arguments: ["--env", "dev", "--repo", daemon.url])
        let first = try project.repo.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        try watcher.wait(20, "the first apply") { try watcher.status()["lastAppliedRevision"] as? String == first }

        try project.write("manifests/silver/orders.yaml", Project.orders.replacingOccurrences(of: "    - { name: attributes", with: "    - { name: email, type: string }\n    - { name: attributes"))
        let second = try project.commit("add email")
        try daemon.push(project)
        let pushed = Date()
        try watcher.wait(10, "the pushed commit applied") { try watcher.status()["lastAppliedRevision"] as? String == second }
        #expect(Date().timeIntervalSince(pushed) < 2 * 1.1 + 1.5, "within two intervals (plus a cycle)")
        #expect(field(try project.deltaRS(".lakehouse/dev/main/silver/orders"), "email") != nil)

        let status = try watcher.status()
        #expect(status["sync"] as? String == "Synced")
        #expect(try watcher.condition("Ready")?["status"] as? Bool == true)
        #expect((status["resourcesByKind"] as? [String: Int])?["FeatureFlag"] == 3)
        let metrics = try watcher.metrics()
        #expect((metrics["families"] as? [String: String])?["reconcile_apply_duration_seconds"] == "histogram")
        #expect(watcher.sample(metrics, "reconcile_runs_total", ["result": "applied"]) ?? 0 >= 2)
        #expect(watcher.sample(metrics, "reconcile_resources", ["kind": "Table"]) == 1)
        #expect(watcher.sample(metrics, "reconcile_last_applied_timestamp_seconds") ?? 0 > 1_700_000_000)
        #expect(watcher.sample(metrics, "reconcile_apply_duration_seconds_count") ?? 0 >= 2)
        let history = try watcher.get("/api/v1/history")
        #expect(history.body.contains(second))
        let plan = try watcher.get("/api/v1/plan")
        #expect(plan.status == 200 && plan.body.contains("\"formatVersion\": 1"))
        #expect(watcher.logText.contains("resource=Table/main.silver.orders"))
        #expect(watcher.stop() == 0)
    }

    @Test func driftMadeByDeltaRSIsHealed() throws {
        let project = try project(drift: "heal")
        let watcher = try Watcher(project, arguments: ["--env", "dev"])
        try watcher.wait(20, "the first apply") { try watcher.status()["lastAppliedRevision"] as? String != nil }
        try project.python("DeltaTable('.lakehouse/dev/main/silver/orders').alter.set_table_properties({'delta.appendOnly': 'true'})")
        try watcher.wait(10, "the drift healed") {
            let table = try project.deltaRS(".lakehouse/dev/main/silver/orders")
            return (table["configuration"] as? [String: String])?["delta.appendOnly"] == "false" && (table["version"] as? Int ?? 0) >= 2
        }
        let metrics = try watcher.metrics()
        #expect(watcher.sample(metrics, "reconcile_drifted_resources") == 0)
        #expect(watcher.logText.contains("drift healed"))
        #expect(try project.reconcile("history", "--env", "dev").stdout.contains("heal"))
        #expect(watcher.stop() == 0)
    }

    @Test func driftIsReportedWhenThePolicySaysReport() throws {
        let project = try project(drift: "report")
        let watcher = try Watcher(project, arguments: ["--env", "dev"])
        try watcher.wait(20, "the first apply") { try watcher.status()["lastAppliedRevision"] as? String != nil }
        try project.python("DeltaTable('.lakehouse/dev/main/silver/orders').alter.set_table_properties({'delta.appendOnly': 'true'})")
        try watcher.wait(10, "drift in /metrics") { watcher.sample(try watcher.metrics(), "reconcile_drifted_resources") == 1 }
        #expect(try watcher.condition("Ready")?["reason"] as? String == "DriftReported")
        let table = try project.deltaRS(".lakehouse/dev/main/silver/orders")
        #expect((table["configuration"] as? [String: String])?["delta.appendOnly"] == "true", "reported, not healed")
        #expect(watcher.stop() == 0)
    }

    @Test func ofrepAgreesWithTheFlagdProviderOnAThousandKeys() throws {
        let project = try project()
        let watcher = try Watcher(project, arguments: ["--env", "dev"])
        try watcher.wait(20, "flags applied") { FileManager.default.fileExists(atPath: project.url.appendingPathComponent(".lakehouse/dev/flags.json").path) }
        var requests: [[String: Any]] = []
        for index in 0..<1000 {
            let email = "user\(index)@\(index % 5 == 0 ? "example.com" : "mail.org")"
            requests.append(["flag": "rollout", "type": "boolean", "default": false, "targetingKey": "user-\(index)", "attributes": ["email": email]])
            requests.append(["flag": "theme", "type": "string", "default": "none", "targetingKey": "user-\(index)", "attributes": ["email": email]])
        }
        requests.append(["flag": "retired", "type": "integer", "default": 9, "targetingKey": "x"])
        requests.append(["flag": "missing", "type": "boolean", "default": true, "targetingKey": "x"])
        let file = project.url.appendingPathComponent("requests.json")
        try JSONSerialization.data(withJSONObject: requests).write(to: file)
        let result = try Shell.run(Paths.python, [Paths.support.appendingPathComponent("ofrep_eval.py").path, "http://127.0.0.1:\(watcher.port)",
                                                  project.url.appendingPathComponent(".lakehouse/dev/flags.json").path, file.path])
        #expect(result.code == 0, "\(result.output)")
        let output = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [[String: Any]]])
        let ofrep = try #require(output["ofrep"]), flagd = try #require(output["flagd"])
        #expect(ofrep.count == requests.count)
        var differences: [String] = []
        for (index, (a, b)) in zip(ofrep, flagd).enumerated() {
            let same = "\(a["value"] ?? "nil")" == "\(b["value"] ?? "nil")" && "\(a["variant"] ?? "nil")" == "\(b["variant"] ?? "nil")"
                && a["reason"] as? String == b["reason"] as? String && "\(a["error"] ?? "nil")" == "\(b["error"] ?? "nil")"
            if !same { differences.append("\(requests[index]["flag"]!) \(requests[index]["targetingKey"]!): ofrep \(a) flagd \(b)") }
        }
        #expect(differences.isEmpty, "\(differences.count) differences, e.g. \(differences.prefix(3))")
        let on = ofrep.prefix(2000).enumerated().filter { $0.offset % 2 == 0 && $0.element["variant"] as? String == "on" }.count
        #expect((240...360).contains(on), "30% rollout: \(on) of 1000")
        #expect(ofrep[2000]["reason"] as? String == "DISABLED" && ofrep[2000]["value"] as? Int == 9)
        #expect(ofrep[2001]["error"] as? String == "FLAG_NOT_FOUND")

        // The bulk endpoint answers 304 while neither flags nor context change.
        let bulk = try watcher.request("POST", "/ofrep/v1/evaluate/flags", body: "{\"context\":{\"targetingKey\":\"u1\"}}")
        #expect(bulk.status == 200 && bulk.body.contains("\"key\": \"rollout\""))
        let etag = try #require(bulk.headers.split(separator: "\r\n").first { $0.lowercased().hasPrefix("etag:") }?.dropFirst(5).trimmingCharacters(in: .whitespaces))
        #expect(try watcher.request("POST", "/ofrep/v1/evaluate/flags", body: "{\"context\":{\"targetingKey\":\"u1\"}}", headers: ["If-None-Match: \(etag)"]).status == 304)
        #expect(try watcher.request("POST", "/ofrep/v1/evaluate/flags", body: "{\"context\":{\"targetingKey\":\"u2\"}}", headers: ["If-None-Match: \(etag)"]).status == 200)
        #expect(watcher.stop() == 0)
    }

    @Test func webhooksAndSyncRequireTheirSecrets() throws {
        let project = try project()
        let watcher = try Watcher(project, arguments: ["--env", "dev"], environment: ["RECONCILE_API_TOKEN": "t0ken", "RECONCILE_WEBHOOK_SECRET": "s3cret"], interval: "1h")
        try watcher.wait(20, "the first cycle") { try watcher.status()["lastAppliedRevision"] as? String != nil }
        let runs = { () throws -> Double in
            let metrics = try watcher.metrics()
            return (metrics["samples"] as? [[String: Any]] ?? []).filter { $0["name"] as? String == "reconcile_runs_total" }.compactMap { $0["value"] as? Double }.reduce(0, +)
        }
        let before = try runs()
        let body = "{\"ref\":\"refs/heads/main\"}"
        #expect(try watcher.request("POST", "/hooks/git", body: body, headers: ["X-Hub-Signature-256: sha256=0000"]).status == 401)
        #expect(try watcher.request("POST", "/hooks/git", body: body).status == 401)
        #expect(try watcher.request("POST", "/api/v1/sync").status == 401)
        #expect(try watcher.request("POST", "/api/v1/sync", headers: ["Authorization: Bearer wrong"]).status == 401)
        usleep(500_000)
        #expect(try runs() == before, "rejected calls trigger nothing")

        let signature = try Shell.check("sh", ["-c", "printf '%s' \"$0\" | openssl dgst -sha256 -hmac s3cret | sed 's/.*= //'", body]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try watcher.request("POST", "/hooks/git", body: body, headers: ["X-Hub-Signature-256: sha256=\(signature)"]).status == 202)
        try watcher.wait(10, "the webhook's cycle") { try runs() == before + 1 }
        #expect(try watcher.request("POST", "/api/v1/sync", headers: ["Authorization: Bearer t0ken"]).status == 202)
        try watcher.wait(10, "the sync's cycle") { try runs() == before + 2 }
        #expect(!watcher.logText.contains("s3cret") && !watcher.logText.contains("t0ken"), "secrets never reach the log")
        #expect(watcher.stop() == 0)
    }

    @Test func badRevisionsStallWithoutTouchingAnythingAndRecover() throws {
        let project = try project()
        let daemon = try Daemon(serving: project)
        let watcher = try Watcher(project, arguments: ["--env", "dev", "--repo", daemon.url])
        try watcher.wait(20, "the first apply") { try watcher.status()["lastAppliedRevision"] as? String != nil }
        let applied = try project.lakehouseFingerprint()

        // A revision that fails validation.
        try project.write("manifests/silver/orders.yaml", Project.orders.replacingOccurrences(of: "type: bigint", with: "type: bigint_typo"))
        let broken = try project.commit("broken type")
        try daemon.push(project)
        try watcher.wait(10, "Stalled") { try watcher.condition("Stalled")?["status"] as? Bool == true }
        #expect(try watcher.condition("Stalled")?["reason"] as? String == "ValidationFailed")
        #expect((try watcher.condition("Stalled")?["message"] as? String ?? "").contains("bigint_typo"))
        #expect(try watcher.status()["lastFetchedRevision"] as? String != broken, "an invalid revision is not taken for the fetched state")
        #expect(try watcher.get("/healthz").status == 200, "still serving")
        #expect(try watcher.get("/readyz").status == 503)
        #expect(try project.lakehouseFingerprint() == applied, "nothing already applied is touched")

        // Fixed by a force-push that rewrites the branch.
        try project.repo.git("reset", "-q", "--hard", "HEAD~1")
        try project.write("manifests/silver/orders.yaml", Project.orders.replacingOccurrences(of: "One row per order", with: "fixed"))
        let fixed = try project.commit("fixed")
        try daemon.push(project, force: true)
        try watcher.wait(15, "recovery") { try watcher.status()["lastAppliedRevision"] as? String == fixed }
        #expect(try watcher.condition("Stalled")?["status"] as? Bool == false)
        #expect(try watcher.condition("Ready")?["status"] as? Bool == true)
        #expect(watcher.stop() == 0)
    }

    @Test func notificationsReachWebhooksAndADeadOneBlocksNothing() throws {
        let project = try project(drift: "report")
        let receiver = try WebhookReceiver(writingTo: project.url.appendingPathComponent("received.jsonl"))
        let environment = try project.read("environments/dev.yaml") + """

          notifications:
            - { url: "http://127.0.0.1:9/dead" }
            - { url: "\(receiver.url)/hook" }
        """
        try project.write("environments/dev.yaml", environment)
        try project.commit("notify")
        let watcher = try Watcher(project, arguments: ["--env", "dev", "--log-format", "json"])
        try watcher.wait(20, "the apply notification") { receiver.bodies.contains("apply_succeeded") }
        try project.python("DeltaTable('.lakehouse/dev/main/silver/orders').alter.set_table_properties({'delta.appendOnly': 'true'})")
        try watcher.wait(20, "the drift notification") { receiver.bodies.contains("drift_found") }
        let lines = receiver.bodies.split(separator: "\n")
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect((first["text"] as? String)?.hasPrefix("reconcile: applied") == true, "Slack-compatible text: \(first)")
        #expect(first["environment"] as? String == "dev")
        // The dead receiver is retried in the background; cycles go on meanwhile.
        let runs = watcher.sample(try watcher.metrics(), "reconcile_runs_total", ["result": "synced"]) ?? 0
        try watcher.wait(10, "more cycles") { (watcher.sample(try watcher.metrics(), "reconcile_runs_total", ["result": "synced"]) ?? 0) >= runs + 2 }
        // --log-format json: one object per line, with the environment on each.
        let logLines = watcher.logText.split(separator: "\n").prefix(5)
        for line in logLines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
            #expect(object["environment"] as? String == "dev")
        }
        #expect(watcher.stop() == 0)
    }

    @Test func anUnreachableRemoteStallsAndBacksOff() throws {
        let project = try project()
        let watcher = try Watcher(project, arguments: ["--env", "dev", "--repo", "git://127.0.0.1:9/nothing.git"])
        try watcher.wait(10, "Stalled") { try watcher.condition("Stalled")?["reason"] as? String == "FetchFailed" }
        let status = try watcher.status()
        #expect(status["consecutiveFailures"] as? Int ?? 0 >= 1)
        #expect(try watcher.get("/healthz").status == 200)
        #expect(watcher.stop() == 0)
    }

    @Test func sigtermDuringAnApplyExitsZeroAfterRecordingAndTheNextStartConverges() throws {
        let project = try project()
        var documents = ["apiVersion: reconcile/v1\nkind: Schema\nmetadata: { name: main.bulk }\n"]
        for index in 0..<1500 {
            documents.append("apiVersion: reconcile/v1\nkind: Table\nmetadata: { name: main.bulk.t\(index) }\nspec: { columns: [{ name: id, type: bigint }] }\n")
        }
        try project.write("manifests/bulk.yaml", documents.joined(separator: "---\n"))
        try project.commit("bulk")
        let watcher = try Watcher(project, arguments: ["--env", "dev"])
        let directory = project.url.appendingPathComponent(".lakehouse/dev/main/bulk").path
        try watcher.wait(30, "the apply under way") { ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).count > 50 }
        #expect(watcher.stop() == 0)
        #expect(watcher.logText.contains("stopped: the change in flight finished and was recorded"))
        let history = try project.reconcile("history", "--env", "dev", "--output", "json")
        let applies = (try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [String: Any])?["applies"] as? [[String: Any]] ?? []
        #expect(applies.first?["outcome"] as? String == "stopped", "\(applies.first ?? [:])")
        let statuses = Set((applies.first?["changes"] as? [[String: Any]] ?? []).compactMap { $0["status"] as? String })
        #expect(statuses == ["applied", "not-attempted"], "\(statuses)")
        #expect(try project.reconcile("apply", "--env", "dev").code == 0, "the next start converges")
        #expect(try project.reconcile("plan", "--env", "dev").code == 0)
    }
}
