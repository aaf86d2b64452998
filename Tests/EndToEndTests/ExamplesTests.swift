import Foundation
import Testing
import TestSupport

/// Every directory under examples/ works as its README says: copied into a
/// repository of its own, validated, planned and applied against a temporary
/// lakehouse, with its scenario played through.
@Suite struct ExamplesTests {
    static let examples = Paths.packageRoot.appendingPathComponent("examples")

    /// A git repository holding a copy of `example` (and `extra` examples laid over it).
    func checkout(_ example: String, over extra: [String] = []) throws -> GitFixture {
        let repo = try GitFixture()
        for name in [example] + extra {
            let source = Self.examples.appendingPathComponent(name)
            for item in try FileManager.default.contentsOfDirectory(atPath: source.path) where item != "README.md" {
                try FileManager.default.copyItem(at: source.appendingPathComponent(item), to: repo.url.appendingPathComponent(item))
            }
        }
        try repo.write(".gitignore", ".lakehouse/\n.reconcile/\n")
        try repo.commit("the \(example) example")
        return repo
    }

    func reconcile(_ repo: GitFixture, _ arguments: String...) throws -> ProcessResult {
        try Shell.run(Paths.reconcile, arguments, in: repo.url)
    }

    func readme(_ example: String) throws -> String {
        try String(contentsOf: Self.examples.appendingPathComponent("\(example)/README.md"), encoding: .utf8)
    }

    /// A fenced block of `readme` whose text after the opening ``` starts with `prefix`
    /// (its language, a newline, its first line), without the fences.
    func block(_ readme: String, startingWith prefix: String) throws -> String {
        let start = try #require(readme.range(of: "```" + prefix), "the README has no block starting with \(prefix)")
        let end = try #require(readme.range(of: "\n```", range: start.upperBound..<readme.endIndex))
        return String(readme[readme.index(start.lowerBound, offsetBy: 3)..<end.lowerBound])
    }

    func alterProperty(_ repo: GitFixture, table: String, _ key: String, _ value: String) throws {
        let script = "import sys\nfrom deltalake import DeltaTable\nDeltaTable(sys.argv[1]).alter.set_table_properties({sys.argv[2]: sys.argv[3]})"
        try Shell.check(Paths.python, ["-c", script, repo.url.appendingPathComponent(table).path, key, value])
    }

    @Test func quickstartGoesFromZeroToTheFirstApplyAsTheReadmeShows() throws {
        let repo = try checkout("quickstart")
        #expect(try reconcile(repo, "validate", "--env", "dev").code == 0)
        let plan = try reconcile(repo, "plan", "--env", "dev")
        #expect(plan.code == 2)
        let revision = try repo.git("rev-parse", "--short=7", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        let shown = try block(try readme("quickstart"), startingWith: "\nPlan for environment dev").dropFirst()
        #expect(plan.stdout.trimmingCharacters(in: .newlines) == shown.replacingOccurrences(of: "bc1b4a2", with: revision),
                "the README's sample plan must be what plan prints")
        #expect(try reconcile(repo, "apply", "--env", "dev").code == 0)
        #expect(try reconcile(repo, "plan", "--env", "dev").code == 0)
        let table = try Shell.run(Paths.python, [Paths.deltaInspect, repo.url.appendingPathComponent(".lakehouse/dev/quickstart/web/page_views").path])
        #expect(table.code == 0, "\(table.output)")
        #expect(table.stdout.contains("\"partitionColumns\": [\n        \"day\"\n      ]"), "\(table.stdout)")
    }

    @Test func medallionAppliesTracesLineageFindsDriftAndPromotes() throws {
        let repo = try checkout("medallion")
        #expect(try reconcile(repo, "validate").code == 0)
        let applied = try reconcile(repo, "apply", "--env", "dev")
        #expect(applied.code == 0, "\(applied.output)")
        #expect(try reconcile(repo, "plan", "--env", "dev").code == 0)

        let graph = try reconcile(repo, "graph", "--env", "dev")
        let readmeGraph = try block(try readme("medallion"), startingWith: "mermaid\nflowchart LR").dropFirst("mermaid\n".count)
        #expect(graph.stdout.hasPrefix(String(readmeGraph)), "the README's lineage must be what graph prints: \(graph.stdout)")

        // The drift scenario of the README, made by another engine (delta-rs).
        try alterProperty(repo, table: ".lakehouse/dev/sales_dev/gold/daily_revenue", "delta.logRetentionDuration", "interval 1 days")
        let drift = try reconcile(repo, "drift", "--env", "dev")
        #expect(drift.code == 2)
        #expect(drift.stdout.contains("properties.delta.logRetentionDuration: \"interval 1 days\" here, not declared"), "\(drift.stdout)")
        #expect(try reconcile(repo, "drift", "--env", "dev", "--heal").code == 0)
        #expect(try reconcile(repo, "drift", "--env", "dev").code == 0)

        let promoted = try reconcile(repo, "promote", "dev", "prod")
        #expect(promoted.code == 0, "\(promoted.output)")
        #expect(try reconcile(repo, "apply", "--env", "prod").code == 0)

        // prod denies destructive changes, before anything is changed.
        let tables = try String(contentsOf: repo.url.appendingPathComponent("manifests/tables.yaml"), encoding: .utf8)
        try repo.write("manifests/tables.yaml", tables.replacingOccurrences(of: "    - { name: status, type: string }\n", with: ""))
        try repo.commit("drop status")
        #expect(try reconcile(repo, "apply", "--env", "dev").code == 0, "dev allows destructive changes")
        #expect(try reconcile(repo, "promote", "dev", "prod").code == 0)
        let refused = try reconcile(repo, "apply", "--env", "prod")
        #expect(refused.code == 1)
        #expect(refused.stdout.contains("column \"status\" is dropped") || refused.stderr.contains("column \"status\" is dropped"), "\(refused.output)")
        #expect(refused.stderr.contains("destructive: deny"), "\(refused.output)")
    }

    @Test func mlPlatformPromotesANewChampionAndRollsItBack() throws {
        let repo = try checkout("ml-platform")
        let run = { (arguments: [String]) throws -> ProcessResult in
            let result = try Shell.run(Paths.reconcile, arguments, in: repo.url)
            #expect(result.code == 0, "\(arguments.joined(separator: " ")): \(result.output)")
            return result
        }
        func release() throws {
            _ = try run(["apply", "--env", "dev"])
            _ = try run(["promote", "dev", "staging"])
            _ = try run(["apply", "--env", "staging"])
            _ = try run(["promote", "staging", "prod"])
            _ = try run(["apply", "--env", "prod"])
        }
        try release()

        // The percentage rollout, read by the OpenFeature flagd provider: about 5% in prod.
        let requests = (0..<400).map { "{\"flag\": \"recommender-alias\", \"type\": \"string\", \"default\": \"none\", \"targetingKey\": \"user-\($0)\"}" }
        let requestFile = repo.url.appendingPathComponent("requests.json")
        try ("[" + requests.joined(separator: ",") + "]").write(to: requestFile, atomically: true, encoding: .utf8)
        let evaluated = try Shell.run(Paths.python, [Paths.flagdEval, repo.url.appendingPathComponent(".lakehouse/prod/flags.json").path, requestFile.path])
        #expect(evaluated.code == 0, "\(evaluated.output)")
        let challengers = evaluated.stdout.components(separatedBy: "\"value\": \"challenger\"").count - 1
        #expect((4...40).contains(challengers), "about 5% of 400 users get the challenger, got \(challengers)")

        // The new champion of the README, released through every environment.
        let models = try String(contentsOf: repo.url.appendingPathComponent("manifests/models.yaml"), encoding: .utf8)
        let readmeVersion = try block(try readme("ml-platform"), startingWith: "yaml\n    - version: 3").dropFirst("yaml\n".count)
        try repo.write("manifests/models.yaml", models.replacingOccurrences(of: "  aliases:\n    champion: 1\n    challenger: 2\n", with: String(readmeVersion) + "\n"))
        try repo.commit("recommender: v3 challenger, v2 champion")
        let plan = try reconcile(repo, "plan", "--env", "dev")
        #expect(plan.stdout.contains("~ aliases.champion: 1 → 2") && plan.stdout.contains("+ version 3"), "\(plan.output)")
        try release()
        let champion = try Shell.run("sqlite3", [repo.url.appendingPathComponent(".lakehouse/prod/catalog.db").path, ".dump"])
        #expect(champion.stdout.contains("champion"), "\(champion.output)")

        // Rollback: aliases move back, version 3 stays, promotion is held.
        let rollback = try run(["rollback", "--env", "prod", "--apply"])
        #expect(rollback.stdout.contains("model version 3 stays"), "\(rollback.output)")
        let drift = try reconcile(repo, "plan", "--env", "prod", "--output", "json")
        #expect(drift.code == 1, "version 3 is still there, undeclared at the pinned revision, and prod refuses deleting it: \(drift.output)")
        #expect(drift.stderr.contains("plan refused: 1 change"), "\(drift.stderr)")
        #expect(!drift.stdout.contains("\"path\" : \"/aliases/champion\"") && !drift.stdout.contains("\"path\":\"/aliases/champion\""), "the champion is back to 1: \(drift.stdout)")
        let held = try reconcile(repo, "promote", "staging", "prod")
        #expect(held.code == 1)
        #expect(held.stderr.contains("held"), "\(held.output)")
        _ = try run(["release", "--env", "prod"])
    }

    @Test func ciWorkflowScriptsDecideByExitCode() throws {
        let repo = try checkout("quickstart", over: ["ci"])
        let stepsJSON = try Shell.check(Paths.python, [Paths.support.appendingPathComponent("workflow_steps.py").path,
                                                       repo.url.appendingPathComponent(".github/workflows/reconcile.yml").path]).stdout
        let jobs = try #require(try JSONSerialization.jsonObject(with: Data(stepsJSON.utf8)) as? [String: [[String: Any]]])
        let binDirectory = URL(fileURLWithPath: Paths.reconcile).deletingLastPathComponent().path
        func step(_ job: String, _ name: String, environment: String = "", with extra: [String: String] = [:]) throws -> (result: ProcessResult, outputs: String) {
            let found = try #require(jobs[job]?.first { $0["name"] as? String == name }, "no step \(name) in job \(job)")
            let outputs = repo.url.appendingPathComponent("github-output"), summary = repo.url.appendingPathComponent("github-summary")
            try Data().write(to: outputs)
            let result = try Shell.run("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", found["run"] as? String ?? ""], in: repo.url, environment: [
                "PATH": binDirectory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
                "ENVIRONMENT": environment, "GITHUB_OUTPUT": outputs.path, "GITHUB_STEP_SUMMARY": summary.path,
            ].merging(extra) { $1 })
            return (result, try String(contentsOf: outputs, encoding: .utf8))
        }

        #expect(try step("plan", "Validate").result.code == 0)
        let plan = try step("plan", "Plan")
        #expect(plan.result.code == 0, "changes pass the check: \(plan.result.output)")
        #expect(plan.outputs.contains("exit=2"))
        let planned = try String(contentsOf: repo.url.appendingPathComponent("plan.md"), encoding: .utf8)
        #expect(planned.contains("### reconcile plan for `dev`"), "every environment (the quickstart has one) in one comment: \(planned)")
        try repo.write("manifests/broken.yaml", "apiVersion: reconcile/v1\nkind: Tabel\n")
        try repo.commit("a broken manifest")
        let broken = try step("plan", "Plan")
        #expect(broken.result.code != 0, "an error fails the check")
        #expect(broken.outputs.contains("exit=1"))
        #expect(try String(contentsOf: repo.url.appendingPathComponent("plan.md"), encoding: .utf8).contains("unknown kind \"Tabel\""), "the comment shows the error")
        try repo.git("rm", "-q", "manifests/broken.yaml")
        try repo.commit("fixed")

        // The pull request's preview: created, commented, destroyed on close.
        let pullRequest = ["PREVIEW": "pr-7", "FROM": "dev"]
        let preview = try step("preview", "Preview", with: pullRequest)
        #expect(preview.result.code == 0 && preview.outputs.contains("exit=0"), "\(preview.result.output)")
        #expect(try String(contentsOf: repo.url.appendingPathComponent("preview.md"), encoding: .utf8).contains("dev-preview-pr-7"))
        #expect(FileManager.default.fileExists(atPath: repo.url.appendingPathComponent(".lakehouse/dev-preview-pr-7").path))
        let destroyed = try step("preview", "Destroy the preview", with: pullRequest)
        #expect(destroyed.result.code == 0, "\(destroyed.result.output)")
        #expect(!FileManager.default.fileExists(atPath: repo.url.appendingPathComponent(".lakehouse/dev-preview-pr-7").path))

        let apply = try step("apply", "Apply", environment: "dev")
        #expect(apply.result.code == 0, "\(apply.result.output)")
        #expect(apply.result.stdout.contains("Apply complete"), "\(apply.result.output)")

        let clean = try step("drift", "Drift", environment: "dev")
        #expect(clean.result.code == 0 && clean.outputs.contains("exit=0"), "\(clean.result.output)")
        try alterProperty(repo, table: ".lakehouse/dev/quickstart/web/page_views", "delta.logRetentionDuration", "interval 1 days")
        let drifted = try step("drift", "Drift", environment: "dev")
        #expect(drifted.result.code == 0 && drifted.outputs.contains("exit=2"), "drift is decided by the next step: \(drifted.result.output)")
        #expect(try String(contentsOf: repo.url.appendingPathComponent("drift.md"), encoding: .utf8).contains("page_views"))
        #expect(try step("drift", "Drift", environment: "nope").result.code != 0)
    }

    @Test func driftCronExitCodesWebhookAndUnits() throws {
        let repo = try checkout("quickstart")
        let script = Self.examples.appendingPathComponent("drift-cron/reconcile-drift").path
        let environment = ["RECONCILE": Paths.reconcile, "RECONCILE_REPO": repo.url.path]
        #expect(try reconcile(repo, "apply", "--env", "dev").code == 0)
        let clean = try Shell.run(script, ["dev"], environment: environment)
        #expect(clean.code == 0, "\(clean.output)")
        #expect(clean.stdout.contains("dev matches its applied revision"))

        let receiver = try WebhookReceiver(writingTo: repo.url.appendingPathComponent("received.jsonl"))
        try alterProperty(repo, table: ".lakehouse/dev/quickstart/web/page_views", "delta.logRetentionDuration", "interval 1 days")
        var withHook = environment
        withHook["RECONCILE_DRIFT_WEBHOOK"] = "\(receiver.url)/drift"
        let drift = try Shell.run(script, ["dev"], environment: withHook)
        #expect(drift.code == 2, "\(drift.output)")
        let posted = receiver.bodies
        #expect(posted.contains("formatVersion") && posted.contains("page_views"), "the JSON drift report is posted: \(posted)")

        #expect(try Shell.run(script, ["dev", "--heal"], environment: environment).code == 0)
        #expect(try Shell.run(script, ["dev"], environment: environment).code == 0)
        let unknown = try Shell.run(script, ["nope"], environment: environment)
        #expect(unknown.code == 1)
        #expect(unknown.stderr.contains("the state is unknown"))

        // The units are valid systemd units, pointing at the script.
        let units = try TemporaryDirectory()
        for (name, instance) in [("reconcile-drift@.service", "reconcile-drift@prod.service"), ("reconcile-drift@.timer", "reconcile-drift@prod.timer")] {
            let text = try String(contentsOf: Self.examples.appendingPathComponent("drift-cron/\(name)"), encoding: .utf8)
            try units.write(instance, text.replacingOccurrences(of: "/usr/local/bin/reconcile-drift", with: script))
        }
        let verify = try Shell.run("systemd-analyze", ["verify", "--man=no", units.url.appendingPathComponent("reconcile-drift@prod.service").path,
                                                       units.url.appendingPathComponent("reconcile-drift@prod.timer").path])
        #expect(verify.code == 0, "\(verify.output)")
        let cron = try String(contentsOf: Self.examples.appendingPathComponent("drift-cron/crontab"), encoding: .utf8)
        let line = try #require(cron.split(separator: "\n").first { !$0.hasPrefix("#") && !$0.contains("=") || $0.first?.isNumber == true })
        #expect(line.split(separator: " ").count >= 6 && line.contains("/usr/local/bin/reconcile-drift prod"), "\(line)")
    }

    /// In this repository the examples validate in place, each a project of the
    /// monorepo (`--path`), read from the committed revision.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: Paths.packageRoot.appendingPathComponent(".git").path)))
    func everyExampleValidatesInPlace() throws {
        for example in ["quickstart", "medallion", "ml-platform"] {
            let result = try Shell.run(Paths.reconcile, ["validate", "--path", "examples/\(example)"], in: Paths.packageRoot)
            #expect(result.code == 0, "\(example): \(result.output)")
            #expect(result.stdout.hasPrefix("Valid at"), "\(example): \(result.output)")
        }
    }
}
