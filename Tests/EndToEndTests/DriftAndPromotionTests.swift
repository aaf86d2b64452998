import Foundation
import Testing
import TestSupport

/// Memory: drift against what was applied, promotion through git, rollback and holds.
@Suite struct DriftAndPromotionTests {
    static let flagsAndGrants = """
    apiVersion: reconcile/v1
    kind: FeatureFlag
    metadata: { name: new-checkout }
    spec:
      variants: { "on": true, "off": false }
      defaultVariant: "off"
    ---
    apiVersion: reconcile/v1
    kind: Grants
    metadata: { name: readers }
    spec:
      securable: { type: table, name: main.silver.orders }
      grants:
        - { principal: analysts, privileges: [SELECT] }
    """

    @Test func driftByIndependentWritersIsFoundFieldByFieldAndHealed() throws {
        let project = try Project()
        try project.write("manifests/more.yaml", Self.flagsAndGrants)
        try project.commit("flags and grants")
        try project.apply()
        #expect(try project.reconcile("drift", "--env", "dev").code == 0)

        // delta-rs adds a column and changes a property; a person edits flags.json;
        // someone changes the catalog database with sqlite3.
        try project.python("""
            t = DeltaTable('.lakehouse/dev/main/silver/orders')
            t.alter.add_columns([Field('coupon', PrimitiveType('string'), nullable=True)])
            t.alter.set_table_properties({'delta.appendOnly': 'true'})
            """)
        let flags = try project.read(".lakehouse/dev/flags.json").replacingOccurrences(of: "\"defaultVariant\" : \"off\"", with: "\"defaultVariant\" : \"on\"")
        try project.write(".lakehouse/dev/flags.json", flags)
        try Shell.check("sqlite3", [project.url.appendingPathComponent(".lakehouse/dev/catalog.db").path,
                                    "UPDATE grants SET privilege = 'MODIFY' WHERE principal = 'analysts'"])

        let drift = try project.reconcile("drift", "--env", "dev")
        #expect(drift.code == 2, "\(drift.output)")
        for line in [
            "changed Table/main.silver.orders",
            "columns.coupon: {nullable: true, type: \"string\"} here, not declared",
            "properties.delta.appendOnly: \"true\" here, declared \"false\"",
            "changed FeatureFlag/new-checkout",
            "defaultVariant: \"on\" here, declared \"off\"",
            "changed Grants/table:main.silver.orders",
            "grants.analysts.MODIFY: \"MODIFY\" here, not declared",
            "grants.analysts.SELECT: missing here, declared \"SELECT\"",
            "Drift: 3 changed, 0 missing, 0 extra.",
        ] {
            #expect(drift.stdout.contains(line), "missing \(line) in\n\(drift.stdout)")
        }
        let json = try project.reconcile("drift", "--env", "dev", "--output", "json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["drifted"] as? Bool == true)
        #expect((object["resources"] as? [[String: Any]])?.count == 3)

        let heal = try project.reconcile("drift", "--env", "dev", "--heal")
        #expect(heal.code == 0, "\(heal.output)")
        #expect(try project.reconcile("drift", "--env", "dev").code == 0, "healed")
        let table = try project.deltaRS(".lakehouse/dev/main/silver/orders")
        #expect(field(table, "coupon") == nil)
        #expect((table["configuration"] as? [String: String])?["delta.appendOnly"] == "false")
        let history = try project.reconcile("history", "--env", "dev", "--output", "json")
        let applies = (try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [String: Any])?["applies"] as? [[String: Any]] ?? []
        #expect(applies.map { $0["kind"] as? String } == ["heal", "apply"])
        #expect(applies.allSatisfy { $0["outcome"] as? String == "succeeded" })
    }

    @Test func ignoredFieldsAreNotDrift() throws {
        let project = try Project()
        try project.write("manifests/silver/orders.yaml", Project.orders.replacingOccurrences(
            of: "  name: ${var.catalog}.silver.orders", with: "  name: ${var.catalog}.silver.orders\n  annotations:\n    reconcile/ignore: [/properties/delta.logRetentionDuration]"))
        try project.commit("ignore retention")
        try project.apply()
        try project.python("DeltaTable('.lakehouse/dev/main/silver/orders').alter.set_table_properties({'delta.logRetentionDuration': 'interval 3 days'})")
        let drift = try project.reconcile("drift", "--env", "dev")
        #expect(drift.code == 0, "\(drift.output)")
        try project.python("DeltaTable('.lakehouse/dev/main/silver/orders').alter.set_table_properties({'delta.appendOnly': 'true'})")
        #expect(try project.reconcile("drift", "--env", "dev").code == 2)
    }

    /// A repository whose environments chain dev → staging → prod.
    func chain(soak: String = "0s") throws -> Project {
        let project = try Project()
        try project.write("environments/staging.yaml", """
        apiVersion: reconcile/v1
        kind: Environment
        metadata: { name: staging }
        spec:
          target: { type: local, path: .lakehouse/staging }
          variables: { catalog: main }
          promotion: { from: dev }
        """)
        try project.write("environments/prod.yaml", Project.prodEnvironment + "\n  promotion: { from: staging, soak: \(soak) }\n")
        try project.commit("environments chain")
        return project
    }

    func log(_ project: Project) throws -> [String] {
        try project.repo.git("log", "--format=%s").split(separator: "\n").map(String.init)
    }

    @Test func promotionMovesAppliedRevisionsThroughGit() throws {
        let project = try chain()
        let first = try project.repo.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        try project.apply("dev")
        let promoted = try project.reconcile("promote", "dev", "staging")
        #expect(promoted.code == 0, "\(promoted.output)")
        #expect(try log(project).first == "promote dev → staging: \(first.prefix(7))")
        let body = try project.repo.git("log", "-1", "--format=%B")
        #expect(body.contains("Promote-From: dev") && body.contains("Promote-To: staging") && body.contains("Revision: \(first)") && body.contains("Actor: Test <test@example.com>"))
        #expect(try project.repo.git("status", "--porcelain").isEmpty, "branch, index and working tree move together")
        #expect(try project.read("environments/staging.yaml").contains("source: { revision: \(first) }"))

        // dev moves on; staging keeps its pin until promoted again.
        try project.write("manifests/silver/orders.yaml", Project.orders.replacingOccurrences(of: "    - { name: attributes", with: "    - { name: email, type: string }\n    - { name: attributes"))
        let second = try project.commit("add email")
        try project.apply("staging")
        #expect(field(try project.deltaRS(".lakehouse/staging/main/silver/orders"), "email") == nil, "staging runs its pinned revision")
        try project.apply("dev")
        #expect(try project.reconcile("promote", "dev", "staging").code == 0)
        try project.apply("staging")
        #expect(field(try project.deltaRS(".lakehouse/staging/main/silver/orders"), "email") != nil)
        #expect(try project.reconcile("promote", "staging", "prod").code == 0)
        try project.apply("prod")
        #expect(field(try project.deltaRS(".lakehouse/prod/main/silver/orders"), "email") != nil)
        #expect(try project.read("environments/prod.yaml").contains("source: { revision: \(second) }"))
        #expect(Array(try log(project).prefix(3)) == ["promote staging → prod: \(second.prefix(7))", "promote dev → staging: \(second.prefix(7))", "add email"])
        #expect(try project.reconcile("promote", "staging", "prod").stdout.contains("already pinned"))
    }

    @Test func gatesRefuseWithTheGateNamed() throws {
        let project = try chain(soak: "1h")
        var result = try project.reconcile("promote", "dev", "staging")
        #expect(result.code == 1)
        #expect(result.stderr.contains("gate applied: dev has no successful apply to promote"))
        try project.apply("dev")

        try project.python("DeltaTable('.lakehouse/dev/main/silver/orders').alter.set_table_properties({'delta.appendOnly': 'true'})")
        result = try project.reconcile("promote", "dev", "staging")
        #expect(result.stderr.contains("gate applied: dev has 1 pending change"), "\(result.output)")
        try project.apply("dev")

        try project.write("manifests/silver/orders.yaml", Project.orders.replacingOccurrences(of: "One row per order", with: "pending"))
        try project.commit("pending for dev")
        result = try project.reconcile("promote", "dev", "staging")
        #expect(result.stderr.contains("gate applied: dev has 1 pending change"))
        try project.apply("dev")
        let clean = try project.read("environments/staging.yaml")
        try project.write("environments/staging.yaml", clean + "# local edit\n")
        result = try project.reconcile("promote", "dev", "staging")
        #expect(result.stderr.contains("the working tree has uncommitted changes (environments/staging.yaml)"), "\(result.output)")
        try project.write("environments/staging.yaml", clean)
        #expect(try project.reconcile("promote", "dev", "staging").code == 0)
        try project.apply("staging")
        result = try project.reconcile("promote", "staging", "prod")
        #expect(result.code == 1)
        #expect(result.stderr.contains("gate soak: staging applied"))
        #expect(result.stderr.contains("and prod asks for 3600s of soak"))
        result = try project.reconcile("promote", "dev", "prod")
        #expect(result.stderr.contains("environment prod promotes from staging, not dev"))
    }

    @Test func aDivergedBranchIsRefused() throws {
        let project = try chain()
        try project.apply("dev")
        let remote = try TemporaryDirectory()
        try Shell.check("git", ["clone", "-q", "--bare", project.url.path, remote.url.appendingPathComponent("origin.git").path])
        try project.repo.git("remote", "add", "origin", remote.url.appendingPathComponent("origin.git").path)
        try project.repo.git("fetch", "-q", "origin")
        try project.repo.git("branch", "-q", "--set-upstream-to=origin/main")
        // Someone else pushes; we commit locally: the branches diverge.
        let other = try TemporaryDirectory()
        try Shell.check("git", ["clone", "-q", remote.url.appendingPathComponent("origin.git").path, other.url.path])
        try Shell.check("git", ["-c", "user.name=B", "-c", "user.email=b@x", "commit", "-q", "--allow-empty", "-m", "theirs"], in: other.url)
        try Shell.check("git", ["push", "-q", "origin", "main"], in: other.url)
        try project.repo.git("fetch", "-q", "origin")
        try project.repo.git("commit", "-q", "--allow-empty", "-m", "ours")
        let result = try project.reconcile("promote", "dev", "staging")
        #expect(result.code == 1)
        #expect(result.stderr.contains("branch main is behind origin/main by 1 commit and ahead by 1: it has diverged; pull (and resolve) first"), "\(result.output)")
    }

    @Test func rollbackPinsBackKeepsDataAndHoldsPromotion() throws {
        let project = try chain()
        try project.apply("dev")
        try project.reconcile("promote", "dev", "staging")
        try project.apply("staging")
        let first = try project.repo.git("rev-parse", "HEAD~1").trimmingCharacters(in: .whitespacesAndNewlines)
        try project.write("manifests/silver/orders.yaml", Project.orders.replacingOccurrences(of: "    - { name: attributes", with: "    - { name: email, type: string }\n    - { name: attributes"))
        try project.commit("add email")
        try project.apply("dev")
        try project.reconcile("promote", "dev", "staging")
        try project.apply("staging")

        let rollback = try project.reconcile("rollback", "--env", "staging", "--apply")
        #expect(rollback.code == 0, "\(rollback.output)")
        #expect(rollback.stdout.contains("Rolled back staging to \(first.prefix(7))"))
        #expect(rollback.stdout.contains("column \"email\" stays: dropping it would delete its data; pass --allow-destructive to drop it"))
        #expect(try project.repo.git("log", "-1", "--format=%s").hasPrefix("rollback staging to \(first.prefix(7))"))
        #expect(try project.read("environments/staging.yaml").contains("source: { revision: \(first) }"))
        #expect(field(try project.deltaRS(".lakehouse/staging/main/silver/orders"), "email") != nil, "the column and its data stay")
        let history = try project.reconcile("history", "--env", "staging")
        #expect(history.stdout.contains("rollback \(first.prefix(7))"))

        // Automation cannot bring the bad revision back until released.
        try project.apply("dev")
        let held = try project.reconcile("promote", "dev", "staging")
        #expect(held.code == 1)
        #expect(held.stderr.contains("promotion into staging is held since"))
        #expect(held.stderr.contains("run reconcile release --env staging"))
        #expect(try project.reconcile("release", "--env", "staging").code == 0)
        #expect(try project.reconcile("promote", "dev", "staging").code == 0)

        let unknown = try project.reconcile("rollback", "--env", "staging", "--to", "HEAD")
        #expect(unknown.code == 1)
        #expect(unknown.stderr.contains("was never applied successfully to staging"))
    }
}
