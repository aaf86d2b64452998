import Foundation
import Testing
import TestSupport

/// Guardrails that must hold through typos, wrong directories, locks and signals (#11).
@Suite struct FailClosedTests {
    /// Every mistake an environment file can hold: the edit, the token the error must
    /// point at (nil: only the file), and words of the message.
    static let mistakes: [(name: String, replace: String, with: String, token: String?, message: String)] = [
        ("bad enum", "destructive: deny", "destructive: dney", "dney", "spec.policy.destructive must be \"allow\" or \"deny\", not \"dney\""),
        ("bad drift enum", "destructive: deny", "destructive: deny, drift: heall", "heall", "spec.policy.drift must be \"report\" or \"heal\""),
        ("wrong type", "prune: true", "prune: maybe", "maybe", "spec.policy.prune must be true or false"),
        ("unknown nested field", "prune: true", "prune: true, destrutive: allow", "destrutive", "unknown field \"spec.policy.destrutive\""),
        ("unknown target field", "path: .lakehouse/prod", "path: .lakehouse/prod, pth: x", "pth", "unknown field \"spec.target.pth\""),
        ("bad duration", "variables:", "promotion: { from: dev, soak: 1 fortnight }\n  variables:", "1 fortnight", "spec.promotion.soak \"1 fortnight\" is not a duration"),
        ("unknown gate", "variables:", "promotion: { from: dev, requires: [applied, aproved] }\n  variables:", "aproved", "unknown promotion gate \"aproved\""),
        ("gates not a list", "variables:", "promotion: { from: dev, requires: applied }\n  variables:", "applied", "spec.promotion.requires must be a list"),
        ("empty value", "destructive: deny", "destructive: ", nil, "spec.policy.destructive is empty"),
        ("api version", "apiVersion: reconcile/v1", "apiVersion: reconcile/v2", "reconcile/v2", "apiVersion"),
        ("name mismatch", "name: prod }", "name: production }", "production", "environment \"production\" is declared in environments/prod.yaml"),
        ("syntax error", "variables: { catalog: main }", "variables: { catalog: main", nil, "error:"),
    ]

    @Test(arguments: 0..<12) func everyEnvironmentMistakeStopsEveryCommand(_ index: Int) throws {
        let mistake = Self.mistakes[index]
        let project = try Project()
        let text = try project.read("environments/prod.yaml")
        #expect(text.contains(mistake.replace), "fixture lacks \(mistake.replace)")
        let broken = text.replacingOccurrences(of: mistake.replace, with: mistake.with)
        try project.write("environments/prod.yaml", broken)
        try project.commit("prod: \(mistake.name)")
        var position = "environments/prod.yaml:"
        if let token = mistake.token {
            let lines = broken.components(separatedBy: "\n")
            let line = try #require(lines.firstIndex { $0.contains(token) })
            let column = lines[line].distance(from: lines[line].startIndex, to: lines[line].range(of: token)!.lowerBound) + 1
            position += "\(line + 1):\(column): error: "
        }
        for arguments in [["validate"], ["validate", "--env", "prod"], ["plan", "--env", "prod"], ["apply", "--env", "prod"], ["drift", "--env", "prod"]] {
            let result = try project.reconcile(arguments)
            #expect(result.code == 1, "\(mistake.name): \(arguments) \(result.output)")
            let reported = result.stderr.components(separatedBy: "\n").contains { $0.hasPrefix(position) && $0.contains(mistake.message) }
            #expect(reported, "\(mistake.name): \(arguments) wants \(position)…\(mistake.message) in \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: project.url.appendingPathComponent(".lakehouse/prod").path), "\(mistake.name): nothing was applied")
        // The other environment still works.
        #expect(try project.reconcile("plan", "--env", "dev").code == 2)
    }

    @Test func aTypoInPolicyNeverCostsRows() throws {
        let project = try Project()
        try project.apply("prod")
        let before = try project.lakehouseFingerprint("prod")
        let text = try project.read("environments/prod.yaml")
        try project.write("environments/prod.yaml", text.replacingOccurrences(of: "destructive: deny", with: "destructive: dney"))
        let dropped = Project.orders.replacingOccurrences(of: "    - { name: attributes, type: \"map<string,string>\" }\n", with: "")
        #expect(dropped != Project.orders, "the manifest drops a column")
        try project.write("manifests/silver/orders.yaml", dropped)
        try project.commit("drop a column, and a typo")
        let apply = try project.reconcile("apply", "--env", "prod")
        #expect(apply.code == 1, "\(apply.output)")
        #expect(try project.lakehouseFingerprint("prod") == before, "nothing was applied")
    }

    @Test func destructiveIsDeniedByDefault() throws {
        let project = try Project()
        try project.write("environments/qa.yaml", """
            apiVersion: reconcile/v1
            kind: Environment
            metadata: { name: qa }
            spec:
              target: { type: local, path: .lakehouse/qa }
              variables: { catalog: main }
            """)
        try project.commit("qa without a policy")
        try project.apply("qa")
        try project.write("manifests/silver/orders.yaml", Project.orders.replacingOccurrences(of: "partitionedBy: [order_date]", with: "partitionedBy: []"))
        try project.commit("unpartition")
        let plan = try project.reconcile("plan", "--env", "qa")
        #expect(plan.code == 1, "\(plan.output)")
        #expect(plan.stderr.contains("the environment's policy is \"destructive: deny\""), "\(plan.stderr)")
        #expect(try project.reconcile("apply", "--env", "qa").code == 1)
        try project.apply("qa", "--allow-destructive")
    }

    @Test func pathsAreTheProjectsWhereverTheCommandRuns() throws {
        let project = try Project()
        try project.apply("dev")
        // From manifests/: the same lakehouse, nothing to do.
        let inside = try project.reconcile(["plan", "--env", "dev"], in: project.url.appendingPathComponent("manifests/silver"))
        #expect(inside.code == 0, "\(inside.output)")
        #expect(!FileManager.default.fileExists(atPath: project.url.appendingPathComponent("manifests/silver/.lakehouse").path))
        // Roots that are no lakehouse's.
        for (path, why) in [("/", "the file system's root"), ("/etc/reconcile", "the system directory /etc"), ("\"\"", "it is empty"),
                            ("../../../../../../../../../../..", "resolves to /, which cannot be a lakehouse root")] {
            let text = Project.devEnvironment.replacingOccurrences(of: "path: .lakehouse/dev", with: "path: \(path)")
            try project.write("environments/dev.yaml", text)
            try project.commit("root \(path)")
            let plan = try project.reconcile("plan", "--env", "dev")
            #expect(plan.code == 1, "\(path): \(plan.output)")
            #expect(plan.stderr.contains(why), "\(path): \(plan.stderr)")
        }
    }

    @Test func writesNeverFollowASymlinkOutOfTheRoot() throws {
        let project = try Project()
        let elsewhere = try TemporaryDirectory("reconcile-elsewhere")
        try FileManager.default.createDirectory(at: project.url.appendingPathComponent(".lakehouse/dev"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: project.url.appendingPathComponent(".lakehouse/dev/main").path, withDestinationPath: elsewhere.url.path)
        let apply = try project.reconcile("apply", "--env", "dev")
        #expect(apply.code == 1, "\(apply.output)")
        #expect(apply.output.contains(".lakehouse/dev/main is a symbolic link"), "\(apply.output)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: elsewhere.url.path)) ?? []).isEmpty, "nothing written through the link")
    }

    @Test func symlinkedEnvironmentFilesAreRefused() throws {
        let project = try Project()
        try FileManager.default.removeItem(at: project.url.appendingPathComponent("environments/prod.yaml"))
        try project.write("prod-real.yaml", Project.prodEnvironment)
        try FileManager.default.createSymbolicLink(atPath: project.url.appendingPathComponent("environments/prod.yaml").path, withDestinationPath: "../prod-real.yaml")
        try project.commit("prod as a link")
        for arguments in [["validate"], ["plan", "--env", "prod"], ["plan", "--env", "prod", "--worktree"]] {
            let result = try project.reconcile(arguments)
            #expect(result.code == 1, "\(arguments): \(result.output)")
            #expect(result.stderr.contains("environments/prod.yaml:1:1: error: environments/prod.yaml is a symbolic link"), "\(arguments): \(result.stderr)")
        }
    }

    @Test func nothingIsSilentlyIgnored() throws {
        let project = try Project()
        // --revision with an environment that follows a branch.
        let text = Project.devEnvironment.replacingOccurrences(of: "variables:", with: "source: { branch: main }\n  variables:")
        try project.write("environments/dev.yaml", text)
        let head = try project.commit("dev follows main")
        _ = try project.repo.git("branch", "-M", "main")
        let revision = try project.reconcile("plan", "--env", "dev", "--revision", head)
        #expect(revision.code == 1, "\(revision.output)")
        #expect(revision.stderr.contains("environment dev reads its manifests at the branch \"main\" (spec.source.branch), so --revision"), "\(revision.stderr)")
        // Uncommitted manifests are named.
        try project.write("manifests/silver/orders.yaml", Project.orders + "\n# edited\n")
        try project.write("manifests/new.yaml", "")
        let dirty = try project.reconcile("plan", "--env", "dev")
        #expect(dirty.stderr.contains("2 files have uncommitted changes that this plan does not include"), "\(dirty.stderr)")
        #expect(dirty.stderr.contains("manifests/new.yaml") && dirty.stderr.contains("manifests/silver/orders.yaml") && dirty.stderr.contains("--worktree"))
        _ = try project.repo.git("checkout", "--", "manifests/silver/orders.yaml")
        try FileManager.default.removeItem(at: project.url.appendingPathComponent("manifests/new.yaml"))
        // A plan taken while another process holds the lock says so at the top.
        try project.apply("dev")
        let state = project.url.appendingPathComponent(".lakehouse/dev/.reconcile/state.db").path
        let pid = getpid()
        _ = try Shell.check("sqlite3", [state, "INSERT INTO locks (environment, owner, pid, host, process_start, since, command) VALUES ('dev', 'ana', \(pid), 'elsewhere', '1', 0, 'apply')"])
        let locked = try project.reconcile("plan", "--env", "dev")
        #expect(locked.stdout.hasPrefix("Note: environment dev is locked by apply by ana (pid \(pid) on elsewhere, since 1970-01-01T00:00:00Z)"), "\(locked.stdout)")
        let drift = try project.reconcile("drift", "--env", "dev")
        #expect(drift.stdout.hasPrefix("Note: environment dev is locked by"), "\(drift.stdout)")
    }

    @Test func pruneDecidesOnTheStateAfterThePlan() throws {
        let project = try Project()
        let protected = Project.orders.replacingOccurrences(of: "  name: ${var.catalog}.silver.orders\n", with: "  name: ${var.catalog}.silver.orders\n  annotations: { reconcile/protect: \"true\" }\n")
        try project.write("manifests/silver/orders.yaml", protected)
        try project.write("manifests/pipeline.yaml", """
            apiVersion: reconcile/v1
            kind: Pipeline
            metadata: { name: daily }
            spec:
              catalog: main
              target: silver
              libraries: [pipelines/daily.sql]
              consumes: [main.silver.orders]
            """)
        try project.write("pipelines/daily.sql", "SELECT 1")
        try project.commit("protected table and its consumer")
        try project.apply("dev")
        // The table's manifest and the pipeline's line that read it go together.
        try FileManager.default.removeItem(at: project.url.appendingPathComponent("manifests/silver/orders.yaml"))
        try project.write("manifests/pipeline.yaml", try project.read("manifests/pipeline.yaml").replacingOccurrences(of: "  consumes: [main.silver.orders]", with: ""))
        try project.commit("drop orders")
        let apply = try project.reconcile("apply", "--env", "dev")
        #expect(apply.code == 1, "refused in the first apply: \(apply.output)")
        #expect(apply.stderr.contains("Table/main.silver.orders is protected"), "\(apply.stderr)")
        #expect(try project.reconcile("plan", "--env", "dev").code == 1, "still refused, not silently pending")
    }

    @Test func driftHealHealsWhatPolicyAllowsAndReportsTheRest() throws {
        let project = try Project()
        try project.write("manifests/more.yaml", DriftAndPromotionTests.flagsAndGrants)
        try project.commit("flags and grants")
        try project.apply("prod")
        // Undeclared column (healing drops it: destructive) and a flag edited by hand.
        try project.python("""
            t = DeltaTable('.lakehouse/prod/main/silver/orders')
            t.alter.add_columns([Field('coupon', PrimitiveType('string'), nullable=True)])
            """)
        let flags = try project.read(".lakehouse/prod/flags.json").replacingOccurrences(of: "\"defaultVariant\" : \"off\"", with: "\"defaultVariant\" : \"on\"")
        try project.write(".lakehouse/prod/flags.json", flags)
        let heal = try project.reconcile("drift", "--env", "prod", "--heal")
        #expect(heal.code == 2, "\(heal.output)")
        #expect(heal.stdout.contains("✓ update FeatureFlag/new-checkout"), "\(heal.stdout)")
        #expect(heal.stderr.contains("Table/main.silver.orders: drift not healed:") && heal.stderr.contains("declare it in the manifest")
                && heal.stderr.contains("reconcile/ignore") && heal.stderr.contains("--allow-destructive"), "\(heal.stderr)")
        let after = try project.reconcile("drift", "--env", "prod")
        #expect(after.code == 2 && after.stdout.contains("changed Table/main.silver.orders") && !after.stdout.contains("FeatureFlag"), "\(after.output)")
        #expect(try project.deltaRS(".lakehouse/prod/main/silver/orders").description.contains("coupon"), "the column is kept")
    }

    @Test func promoteNeverPinsARevisionTheTargetCannotRender() throws {
        let project = try Project()
        try project.write("environments/staging.yaml", """
            apiVersion: reconcile/v1
            kind: Environment
            metadata: { name: staging }
            spec:
              target: { type: local, path: .lakehouse/staging }
              variables: { catalog: main }
              promotion: { from: dev, requires: [applied] }
            """)
        try project.write("environments/dev.yaml", Project.devEnvironment.replacingOccurrences(of: "variables: { catalog: main }", with: "variables: { catalog: main, team: sales }"))
        try project.write("manifests/silver/orders.yaml", Project.orders.replacingOccurrences(of: "owner_team: sales", with: "owner_team: ${var.team}"))
        try project.commit("orders owned by a variable staging lacks")
        try project.apply("dev")
        let before = try project.repo.git("rev-list", "--count", "HEAD")
        let promote = try project.reconcile("promote", "dev", "staging")
        #expect(promote.code == 1, "\(promote.output)")
        #expect(promote.stderr.contains("manifests/silver/orders.yaml:") && promote.stderr.contains("team"), "the unrenderable field, positioned: \(promote.stderr)")
        #expect(promote.stderr.contains("gate renders: staging cannot take"), "\(promote.stderr)")
        #expect(try project.repo.git("rev-list", "--count", "HEAD") == before, "no pin was committed")
        // Once staging has the variable, the promotion shows staging's plan and pins.
        try project.write("environments/staging.yaml", try project.read("environments/staging.yaml").replacingOccurrences(of: "variables: { catalog: main }", with: "variables: { catalog: main, team: ops }"))
        try project.commit("staging: team")
        let ok = try project.reconcile("promote", "dev", "staging")
        #expect(ok.code == 0, "\(ok.output)")
        #expect(ok.stdout.contains("Plan for environment staging") && ok.stdout.contains("+ Table/main.silver.orders"), "\(ok.stdout)")
    }

    @Test func rollbackOfABranchFollowerIsUndoneByRelease() throws {
        let project = try Project()
        _ = try project.repo.git("branch", "-M", "main")
        try project.write("environments/dev.yaml", Project.devEnvironment.replacingOccurrences(of: "variables:", with: "source: { branch: main }\n  variables:"))
        try project.commit("dev follows main")
        try project.apply("dev")
        try project.write("manifests/more.yaml", DriftAndPromotionTests.flagsAndGrants)
        try project.commit("flags and grants")
        try project.apply("dev")
        let rollback = try project.reconcile("rollback", "--env", "dev")
        #expect(rollback.code != 1, "\(rollback.output)")
        #expect(rollback.stdout.contains("It followed the branch main: release restores that."), "\(rollback.stdout)")
        #expect(try project.read("environments/dev.yaml").contains("source: { revision: "))
        let plan = try project.reconcile("plan", "--env", "dev")
        #expect(plan.stdout.hasPrefix("Note: environment dev is pinned at") && plan.stdout.contains("it followed the branch main before"), "\(plan.stdout)")
        let release = try project.reconcile("release", "--env", "dev")
        #expect(release.code == 0, "\(release.output)")
        #expect(release.stdout.contains("dev follows the branch main again"), "\(release.stdout)")
        #expect(try project.read("environments/dev.yaml").contains("source: { branch: main }"))
        #expect(try project.repo.git("status", "--porcelain").isEmpty, "the restore is a commit")
        #expect(try project.reconcile("plan", "--env", "dev").code == 0, "back on the branch, which dev applied last")
    }
}
