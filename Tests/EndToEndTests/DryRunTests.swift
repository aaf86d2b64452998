import Foundation
import Testing
import TestSupport

/// `reconcile --dry-run`, the line CI runs on every pull request (#14), and errors a
/// bot can read: every environment planned in one run, exit 0/2/1, JSON diagnostics
/// that validate against docs/diagnostics.schema.json.
@Suite struct DryRunTests {
    static let schema = Paths.packageRoot.appendingPathComponent("docs/diagnostics.schema.json").path

    /// Validates `document` against the published diagnostics schema with jsonschema.
    func validatesAgainstTheSchema(_ document: String) throws -> Bool {
        let check = """
        import json, sys, jsonschema
        schema = json.load(open(sys.argv[1]))
        jsonschema.validate(json.load(open(sys.argv[2])), schema, format_checker=jsonschema.FormatChecker())
        """
        let dir = try TemporaryDirectory()
        let file = dir.url.appendingPathComponent("document.json")
        try document.write(to: file, atomically: true, encoding: .utf8)
        let result = try Shell.run(Paths.python, ["-c", check, Self.schema, file.path])
        #expect(result.code == 0, "\(result.output)")
        return result.code == 0
    }

    @Test func everyEnvironmentIsPlannedInOneRunWithCIExitCodes() throws {
        let repo = try GitFixture()
        for directory in ["manifests", "environments", "pipelines"] {
            try FileManager.default.copyItem(at: Paths.packageRoot.appendingPathComponent(directory), to: repo.url.appendingPathComponent(directory))
        }
        try repo.commit("the example")
        let environments = try FileManager.default.contentsOfDirectory(atPath: repo.url.appendingPathComponent("environments").path)
            .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
        let first = try Shell.run(Paths.reconcile, ["--dry-run"], in: repo.url)
        #expect(first.code == 2, "nothing applied yet: \(first.output)")
        for name in environments { #expect(first.stdout.contains("== \(name) =="), "\(name) is planned") }

        let json = try Shell.run(Paths.reconcile, ["--dry-run", "--output", "json"], in: repo.url)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((document["environments"] as? [String: Any]).map { Set($0.keys) } == Set(environments))
        #expect(document["exitCode"] as? Int == 2)

        for name in environments { #expect(try Shell.run(Paths.reconcile, ["apply", "--env", name, "--allow-destructive"], in: repo.url).code == 0) }
        let converged = try Shell.run(Paths.reconcile, ["--dry-run"], in: repo.url)
        #expect(converged.code == 0, "\(converged.output)")

        let one = try Shell.run(Paths.reconcile, ["--dry-run", "--env", environments[0], "--output", "markdown"], in: repo.url)
        #expect(one.code == 0)
        #expect(one.stdout.contains("### reconcile plan for `\(environments[0])`"))
        #expect(!one.stdout.contains("for `\(environments.last!)`") || environments.count == 1)
    }

    @Test func anErrorInOneEnvironmentIsExitOneWithPositionedJSON() throws {
        let project = try Project()
        try project.write("manifests/silver/orders.yaml", Project.orders.replacingOccurrences(of: "type: bigint", with: "type: int64"))
        try project.commit("a bad type")
        let result = try project.reconcile("--dry-run", "--output", "json")
        #expect(result.code == 1, "\(result.output)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "one JSON document: \(result.stdout)")
        let dev = try #require((document["environments"] as? [String: Any])?["dev"] as? [String: Any])
        let diagnostic = try #require((dev["diagnostics"] as? [[String: Any]])?.first)
        #expect(diagnostic["file"] as? String == "manifests/silver/orders.yaml")
        #expect(diagnostic["line"] as? Int == 8)
        #expect((diagnostic["message"] as? String)?.contains("int64") == true)
        let data = try JSONSerialization.data(withJSONObject: dev)
        #expect(try validatesAgainstTheSchema(String(decoding: data, as: UTF8.self)))
        #expect(result.stderr.contains("manifests/silver/orders.yaml:8:"), "people read standard error: \(result.stderr)")
    }

    @Test func validateAndPlanPrintJSONDiagnosticsOnStandardOutput() throws {
        let project = try Project()
        try project.write("manifests/silver/orders.yaml", Project.orders.replacingOccurrences(of: "type: bigint", with: "type: int64"))
        try project.commit("a bad type")
        for command in [["validate"], ["plan", "--env", "dev"]] {
            let result = try project.reconcile(command + ["--output", "json"])
            #expect(result.code == 1)
            #expect(try validatesAgainstTheSchema(result.stdout), "\(command): \(result.stdout)")
            let markdown = try project.reconcile(command + ["--output", "markdown"])
            #expect(markdown.stdout.contains("> 1 error; nothing was planned or changed."), "\(command): a PR comment is never empty: \(markdown.stdout)")
        }
    }

    @Test func aBareOrMistypedCommandLineIsHelpAndExitOne() throws {
        let project = try Project()
        let bare = try project.reconcile()
        #expect(bare.code == 1)
        #expect(bare.stderr.contains("USAGE: reconcile"))
        let typo = try project.reconcile("plna", "--env", "dev")
        #expect(typo.code == 1)
        #expect(typo.stderr.contains("'plna' is not a command; did you mean plan?"), "\(typo.stderr)")
        let options = try project.reconcile("--env", "dev")
        #expect(options.code == 1)
        #expect(options.stderr.contains("reconcile needs a subcommand (see reconcile --help), or --dry-run to plan every environment"))
    }
}

/// `policy.confirm: true` (#14): apply asks on a terminal, refuses without one, and
/// `--yes` skips the question, as Terraform's -auto-approve.
@Suite struct ConfirmTests {
    static func project() throws -> Project {
        let project = try Project()
        try project.write("environments/dev.yaml", Project.devEnvironment.replacingOccurrences(of: "prune: true }", with: "prune: true, confirm: true }"))
        try project.commit("confirm dev")
        return project
    }

    @Test func withoutATerminalApplyRefusesUnlessYes() throws {
        let project = try Self.project()
        let refused = try project.reconcile("apply", "--env", "dev")
        #expect(refused.code == 1)
        #expect(refused.stderr.contains("asks for confirmation (spec.policy.confirm: true) and standard input is not a terminal; pass --yes"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: project.url.appendingPathComponent(".lakehouse/dev/main/silver/orders").path))
        try project.apply("dev", "--yes")
        #expect(try project.reconcile("plan", "--env", "dev").code == 0)
    }

    @Test func onATerminalOnlyYesApplies() throws {
        let project = try Self.project()
        // script(1) gives the command a terminal; the answer comes on its input.
        let command = "\(Paths.reconcile) apply --env dev"
        let no = try Shell.run("/bin/sh", ["-c", "echo no | script -qec '\(command)' /dev/null"], in: project.url)
        #expect(no.output.contains("Only \"yes\" applies"), "\(no.output)")
        #expect(no.output.contains("apply cancelled at the prompt; nothing was changed"), "\(no.output)")
        let yes = try Shell.run("/bin/sh", ["-c", "echo yes | script -qec '\(command)' /dev/null"], in: project.url)
        #expect(yes.code == 0, "\(yes.output)")
        #expect(try project.reconcile("plan", "--env", "dev").code == 0)
    }
}

@Suite struct GraphOutputTests {
    @Test func graphOutputJSONIsJSON() throws {
        let project = try Project()
        let result = try project.reconcile("graph", "--env", "dev", "--view", "dependencies", "--output", "json")
        #expect(result.code == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
        #expect((json["nodes"] as? [String])?.contains("Table/main.silver.orders") == true)
        let edges = json["edges"] as? [[String: String]] ?? []
        #expect(edges.contains { $0["from"] == "Schema/main.silver" && $0["to"] == "Table/main.silver.orders" }, "\(edges)")
    }
}

@Suite struct RefusedOptionsTests {
    /// A command does not list options it refuses (#14); given anyway, they say why.
    @Test func promoteOffersNeitherEnvNorRevisionNorWorktree() throws {
        let project = try Project()
        let help = try project.reconcile("promote", "--help")
        for option in ["--env", "--revision", "--worktree"] { #expect(!help.stdout.contains(option), "\(option) is listed: \(help.stdout)") }
        let env = try project.reconcile("promote", "dev", "prod", "--env", "dev")
        #expect(env.stderr.contains("promote names its environments as arguments: reconcile promote FROM TO"), "\(env.stderr)")
        let worktree = try project.reconcile("promote", "dev", "prod", "--worktree")
        #expect(worktree.code == 1)
        #expect(worktree.stderr.contains("drop --revision and --worktree"), "\(worktree.stderr)")
    }
}

@Suite struct CascadeTests {
    /// One YAML error does not cascade into "not declared" errors in the files that
    /// reference what the broken one declares (#14).
    @Test func aBrokenFileIsOneErrorNotACascade() throws {
        let project = try Project()
        try project.write("manifests/silver/orders.yaml", Project.orders + "\n  bad: [unclosed")
        try project.write("manifests/grants.yaml", """
        apiVersion: reconcile/v1
        kind: Grants
        metadata: { name: readers }
        spec:
          securable: { type: table, name: "${var.catalog}.silver.orders" }
          grants: [{ principal: analysts, privileges: [SELECT] }]
        """)
        try project.commit("a broken file and a grant on what it declares")
        for command in [["validate"], ["plan", "--env", "dev"]] {
            let result = try project.reconcile(command)
            #expect(result.code == 1)
            #expect(result.stderr.components(separatedBy: "error:").count - 1 == 1, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("manifests/silver/orders.yaml"), "\(result.stderr)")
        }
    }
}
