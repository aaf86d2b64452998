import Foundation
import Testing
import TestSupport

/// The user's way through: from git to a real Delta lakehouse, read back by delta-rs.
@Suite struct WalkingSkeletonTests {
    @Test func applyWritesExactlyTheDeclaredTablesAndConverges() throws {
        let project = try Project()
        let first = try project.reconcile("plan", "--env", "dev")
        #expect(first.code == 2, "\(first.output)")
        #expect(first.stdout.contains("+ Table/main.silver.orders"))
        try project.apply()
        let again = try project.reconcile("plan", "--env", "dev")
        #expect(again.code == 0, "after apply, plan must be empty: \(again.output)")
        #expect(again.stdout.contains("No changes."))

        let table = try project.deltaRS(".lakehouse/dev/main/silver/orders")
        #expect(table["version"] as? Int == 0)
        #expect(table["name"] as? String == "orders")
        #expect(table["description"] as? String == "One row per order")
        #expect(table["partitionColumns"] as? [String] == ["order_date"])
        #expect(table["configuration"] as? [String: String] == [
            "delta.appendOnly": "false", "owner_team": "sales", "delta.constraints.positive_amount": "amount >= 0",
        ])
        let proto = try #require(table["protocol"] as? [String: Int])
        #expect(proto["minWriterVersion"] == 3, "CHECK constraints need writer version 3")
        #expect(fields(table).map { $0["name"] as? String } == ["order_id", "amount", "status", "order_date", "items", "attributes"])
        #expect(fields(table).map { $0["nullable"] as? Bool } == [false, false, true, false, true, true])
        let orderID = try #require(field(table, "order_id"))
        #expect(orderID["type"] as? String == "long")
        #expect((orderID["metadata"] as? [String: String])?["comment"] == "Order number")
        #expect(field(table, "amount")?["type"] as? String == "decimal(18,2)")
        #expect(field(table, "status")?["type"] as? String == "string")
        #expect((field(table, "status")?["metadata"] as? [String: String])?["__CHAR_VARCHAR_TYPE_STRING"] == "varchar(16)")
        let items = try #require(field(table, "items")?["type"] as? [String: Any])
        #expect(items["type"] as? String == "array")
        let element = try #require(items["elementType"] as? [String: Any])
        let elementFields = try #require(element["fields"] as? [[String: Any]])
        #expect(elementFields.map { $0["name"] as? String } == ["sku", "quantity"])
        #expect(elementFields.map { $0["nullable"] as? Bool } == [false, true])
        #expect(elementFields.map { $0["type"] as? String } == ["string", "integer"])
        let attributes = try #require(field(table, "attributes")?["type"] as? [String: Any])
        #expect(attributes["type"] as? String == "map")
        #expect(attributes["keyType"] as? String == "string")
    }

    /// The executable allocates through mimalloc (linked, not preloaded): a build that
    /// dropped the library would still run, only slower, so nothing else would notice.
    @Test func theProgramAllocatesThroughMimalloc() throws {
        let project = try Project()
        let result = try Shell.run(Paths.reconcile, ["validate", "--env", "dev"], in: project.url, environment: ["MIMALLOC_VERBOSE": "1"])
        #expect(result.code == 0, "\(result.output)")
        #expect(result.stderr.contains("mimalloc: process init"), "\(result.output)")
        let quiet = try project.reconcile("validate", "--env", "dev")
        #expect(!quiet.stderr.contains("mimalloc"), "\(quiet.output)")
    }

    @Test func addingAColumnIsPlannedAppliedAndReadByDeltaRS() throws {
        let project = try Project()
        try project.apply()
        try project.write("manifests/silver/orders.yaml",
                          Project.orders.replacingOccurrences(of: "    - { name: attributes", with: "    - { name: email, type: string }\n    - { name: attributes"))
        try project.commit("add email")

        let plan = try project.reconcile("plan", "--env", "dev")
        #expect(plan.code == 2, "\(plan.output)")
        #expect(plan.stdout.contains("~ Table/main.silver.orders"))
        #expect(plan.stdout.contains("+ column email string"))
        #expect(plan.stdout.contains("Plan: 0 to create, 1 to update, 0 to replace, 0 to delete; 2 unchanged."))

        try project.apply()
        let table = try project.deltaRS(".lakehouse/dev/main/silver/orders")
        #expect(table["version"] as? Int == 1)
        #expect(field(table, "email")?["type"] as? String == "string")
        #expect(field(table, "email")?["nullable"] as? Bool == true)
        #expect((table["history"] as? [String])?.first == "ADD COLUMNS")
        #expect(try project.reconcile("plan", "--env", "dev").code == 0)
    }

    @Test func inPlaceChangesOfEveryKindAreReadBack() throws {
        let project = try Project()
        try project.apply()
        let changed = Project.orders
            .replacingOccurrences(of: "comment: One row per order", with: "comment: Orders, deduplicated")
            .replacingOccurrences(of: "{ name: amount, type: \"decimal(18,2)\", nullable: false }", with: "{ name: amount, type: \"decimal(20,2)\", nullable: true }")
            .replacingOccurrences(of: "    owner_team: sales\n", with: "    delta.logRetentionDuration: interval 60 days\n")
            .replacingOccurrences(of: "positive_amount: amount >= 0", with: "known_status: status IS NOT NULL")
        try project.write("manifests/silver/orders.yaml", changed)
        try project.commit("in-place changes")
        let plan = try project.reconcile("plan", "--env", "dev", "--output", "json")
        #expect(plan.code == 2)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any])
        let change = try #require((json["changes"] as? [[String: Any]])?.first)
        #expect(change["action"] as? String == "update")
        #expect(change["destructive"] as? Bool == false)
        try project.apply()
        let table = try project.deltaRS(".lakehouse/dev/main/silver/orders")
        #expect(table["description"] as? String == "Orders, deduplicated")
        #expect(field(table, "amount")?["type"] as? String == "decimal(20,2)")
        #expect(field(table, "amount")?["nullable"] as? Bool == true)
        #expect(table["configuration"] as? [String: String] == [
            "delta.appendOnly": "false", "delta.logRetentionDuration": "interval 60 days",
            "delta.constraints.known_status": "status IS NOT NULL", "delta.enableTypeWidening": "true",
        ], "decimal(18,2) to decimal(20,2) widens storage: type widening is on")
        #expect((field(table, "amount")?["metadata"] as? [String: Any])?["delta.typeChanges"] != nil)
        #expect(try project.reconcile("plan", "--env", "dev").code == 0)
    }

    @Test func destructiveChangesAreReplacedOnlyWhenAllowed() throws {
        let project = try Project()
        try project.apply("prod")
        let before = try project.lakehouseFingerprint("prod")
        try project.write("manifests/silver/orders.yaml", Project.orders.replacingOccurrences(of: "partitionedBy: [order_date]", with: "partitionedBy: []"))
        try project.commit("unpartition")

        let plan = try project.reconcile("plan", "--env", "prod")
        #expect(plan.code == 1, "a plan holding a change the policy refuses fails, listing it")
        #expect(plan.stdout.contains("-/+ Table/main.silver.orders  (destructive)"))
        #expect(plan.stderr.contains("Table/main.silver.orders:") && plan.stderr.contains("plan refused: 1 change not allowed by policy"), "\(plan.stderr)")
        #expect(plan.stdout.contains("partition columns change from (order_date) to (none)"))

        let refused = try project.reconcile("apply", "--env", "prod")
        #expect(refused.code == 1, "\(refused.output)")
        #expect(refused.stderr.contains("manifests/silver/orders.yaml:1:1: error: Table/main.silver.orders: partition columns change"))
        #expect(refused.stderr.contains("pass --allow-destructive"))
        #expect(try project.lakehouseFingerprint("prod") == before, "a refused apply changes nothing")

        try project.apply("prod", "--allow-destructive")
        let table = try project.deltaRS(".lakehouse/prod/main/silver/orders")
        #expect(table["partitionColumns"] as? [String] == [])
        #expect((table["history"] as? [String])?.first == "REPLACE TABLE")
        #expect(try project.reconcile("plan", "--env", "prod").code == 0)
    }

    @Test func pruneDeletesOnlyWhatThisEnvironmentCreated() throws {
        let project = try Project()
        try project.write("manifests/silver/customers.yaml", Project.orders.replacingOccurrences(of: "silver.orders", with: "silver.customers"))
        try project.commit("customers")
        try project.apply()
        // Another engine creates a table in the same schema: not ours to delete.
        try project.python("DeltaTable.create('.lakehouse/dev/main/silver/foreign', schema=Schema([Field('id', PrimitiveType('long'))]), name='foreign')")
        try FileManager.default.removeItem(at: project.url.appendingPathComponent("manifests/silver/orders.yaml"))
        try project.commit("retire orders")

        let plan = try project.reconcile("plan", "--env", "dev")
        #expect(plan.code == 2)
        #expect(plan.stdout.contains("- Table/main.silver.orders  (destructive)"))
        #expect(plan.stdout.contains("Not managed by this environment (left alone): Table/main.silver.foreign"))
        try project.apply()
        let tables = try FileManager.default.contentsOfDirectory(atPath: project.url.appendingPathComponent(".lakehouse/dev/main/silver").path)
        #expect(tables.sorted() == ["_schema.json", "customers", "foreign"])
        #expect(try project.deltaRS(".lakehouse/dev/main/silver/foreign")["name"] as? String == "foreign")
    }

    @Test func anEmptyManifestSetNeverPrunesEverythingUnlessAsked() throws {
        let project = try Project()
        try project.apply()
        try FileManager.default.removeItem(at: project.url.appendingPathComponent("manifests"))
        try project.commit("no manifests at all")
        let before = try project.lakehouseFingerprint()
        let empty = try project.reconcile("apply", "--env", "dev")
        #expect(empty.code == 1, "\(empty.output)")
        #expect(empty.stderr.contains("no Table manifests were found, so this would delete every Table this environment created"))
        #expect(empty.stderr.contains("--allow-empty"))
        #expect(try project.lakehouseFingerprint() == before)
        try project.apply("dev", "--allow-empty")
        #expect(try project.reconcile("plan", "--env", "dev").code == 0)
        let left = try FileManager.default.contentsOfDirectory(atPath: project.url.appendingPathComponent(".lakehouse/dev").path)
        #expect(!left.contains("main"))
    }

    @Test func revisionAndWorktreeChooseWhatIsRead() throws {
        let project = try Project()
        try project.write("manifests/silver/orders.yaml", Project.orders.replacingOccurrences(of: "    - { name: attributes", with: "    - { name: email, type: string }\n    - { name: attributes"))
        try project.commit("add email")
        try project.apply("dev", "--revision", "HEAD~1")
        let old = try project.deltaRS(".lakehouse/dev/main/silver/orders")
        #expect(field(old, "email") == nil)
        let plan = try project.reconcile("plan", "--env", "dev")
        #expect(plan.stdout.contains("+ column email string"))

        try project.apply()
        try project.write("manifests/silver/orders.yaml", Project.orders.replacingOccurrences(of: "    - { name: attributes", with: "    - { name: email, type: string }\n    - { name: phone, type: string }\n    - { name: attributes"))
        #expect(try project.reconcile("plan", "--env", "dev").code == 0, "uncommitted edits are not read by default")
        let worktree = try project.reconcile("plan", "--env", "dev", "--worktree")
        #expect(worktree.code == 2)
        #expect(worktree.stdout.contains("+ column phone string"))
        let refused = try project.reconcile("apply", "--env", "dev", "--worktree")
        #expect(refused.code == 1)
        #expect(refused.stderr.contains("spec.policy.allowWorktree: true"))
    }

    @Test func markdownAndJSONOutputs() throws {
        let project = try Project()
        let markdown = try project.reconcile("plan", "--env", "dev", "--output", "markdown")
        #expect(markdown.code == 2)
        #expect(markdown.stdout.hasPrefix("### reconcile plan for `dev`"))
        let dryRun = try project.reconcile("apply", "--env", "dev", "--dry-run", "--output", "json")
        #expect(dryRun.code == 2)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(dryRun.stdout.utf8)) as? [String: Any])
        #expect(json["formatVersion"] as? Int == 1)
        #expect((json["summary"] as? [String: Int])?["create"] == 3)
        #expect(try project.lakehouseFingerprint().isEmpty, "a dry run writes nothing")
    }
}

@Suite struct LiquidClusteringTests {
    /// The orders table clustered instead of partitioned.
    static let clustered = Project.orders.replacingOccurrences(of: "partitionedBy: [order_date]", with: "clusterBy: [order_date, status]")

    func domainMetadata(_ project: Project, version: Int) throws -> [String: Any]? {
        let name = String(repeating: "0", count: 20 - String(version).count) + String(version) + ".json"
        let text = try project.read(".lakehouse/dev/main/silver/orders/_delta_log/\(name)")
        for line in text.split(separator: "\n") {
            let action = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            if let domain = action?["domainMetadata"] as? [String: Any] { return domain }
        }
        return nil
    }

    @Test func clusteringKeysAreWrittenAsATableFeatureDeltaRSReads() throws {
        let project = try Project()
        try project.write("manifests/silver/orders.yaml", Self.clustered)
        try project.commit("cluster orders")
        let plan = try project.reconcile("plan", "--env", "dev")
        #expect(plan.stdout.contains("clusterBy"), "\(plan.output)")
        try project.apply()

        let table = try project.deltaRS(".lakehouse/dev/main/silver/orders")
        let proto = try #require(table["protocol"] as? [String: Any])
        #expect(proto["minWriterVersion"] as? Int == 7)
        #expect(proto["writerFeatures"] as? [String] == ["appendOnly", "checkConstraints", "clustering", "domainMetadata", "invariants"],
                "the CHECK constraint keeps its feature under writer version 7")
        #expect(table["partitionColumns"] as? [String] == [])
        let domain = try #require(try domainMetadata(project, version: 0))
        #expect(domain["domain"] as? String == "delta.clustering")
        let configuration = try JSONSerialization.jsonObject(with: Data((domain["configuration"] as? String ?? "").utf8)) as? [String: Any]
        #expect(configuration?["clusteringColumns"] as? [[String]] == [["order_date"], ["status"]])
        #expect(try project.reconcile("plan", "--env", "dev").code == 0, "clustering is observed back the same")

        // New keys are an in-place change, not a replace.
        try project.write("manifests/silver/orders.yaml", Self.clustered.replacingOccurrences(of: "clusterBy: [order_date, status]", with: "clusterBy: [status]"))
        try project.commit("recluster")
        let json = try project.reconcile("plan", "--env", "dev", "--output", "json")
        let change = try #require(((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["changes"] as? [[String: Any]])?.first)
        #expect(change["action"] as? String == "update")
        #expect(change["destructive"] as? Bool == false)
        try project.apply()
        let reclustered = try #require(try domainMetadata(project, version: 1))
        #expect((reclustered["configuration"] as? String)?.contains("[[\"status\"]]") == true)
        #expect(try project.deltaRS(".lakehouse/dev/main/silver/orders")["version"] as? Int == 1)
        #expect(try project.reconcile("plan", "--env", "dev").code == 0)
    }

    @Test func clusteringAndPartitioningTogetherIsRefusedWithItsPlace() throws {
        let project = try Project()
        try project.write("manifests/silver/orders.yaml", Project.orders.replacingOccurrences(of: "partitionedBy: [order_date]", with: "partitionedBy: [order_date]\n  clusterBy: [status, nope]"))
        try project.commit("both")
        let result = try project.reconcile("validate", "--env", "dev")
        #expect(result.code == 1)
        #expect(result.stderr.contains("manifests/silver/orders.yaml:16:14: error: Table/main.silver.orders: spec.clusterBy and spec.partitionedBy cannot both be set"), "\(result.stderr)")
        #expect(result.stderr.contains("clustering column \"nope\" is not among the columns"), "\(result.stderr)")
    }
}
