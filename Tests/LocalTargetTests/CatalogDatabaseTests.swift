import Foundation
import Testing
import Model
import Engine
import TestSupport
@testable import LocalTarget
import SQLite

@Suite struct CatalogDatabaseTests {
    let store = MemoryStateStore()

    let namespaces = [
        Resource(id: ResourceID(.catalog, "main"), spec: .catalog(NamespaceSpec())),
        Resource(id: ResourceID(.schema, "main.ml"), spec: .schema(NamespaceSpec())),
        Resource(id: ResourceID(.schema, "main.s"), spec: .schema(NamespaceSpec())),
        Resource(id: ResourceID(.table, "main.s.t"), spec: .table(TableSpec(columns: [Column(name: "id", type: .long)]))),
    ]

    let model = Resource(id: ResourceID(.model, "main.ml.churn"), spec: .model(ModelSpec(
        description: "churn", tags: ["team": "ds"],
        versions: [1: ModelVersion(version: 1, source: "s3://b/1", runId: "r1", description: "first", tags: ["auc": "0.8"]),
                   2: ModelVersion(version: 2, source: "s3://b/2")],
        aliases: ["champion": 1, "challenger": 2])))

    let pipeline = Resource(id: ResourceID(.pipeline, "silver"), spec: .pipeline(PipelineSpec(
        catalog: "main", target: "s", libraries: ["a.sql", "b.py"], configuration: ["k": "v"],
        schedule: Schedule(cron: "0 * * * *", timezone: "UTC"), development: true, produces: ["main.s.t"])))

    let grants = Resource(id: GrantsSpec.resourceID(for: Securable(.table, "main.s.t")), spec: .grants(GrantsSpec(
        securable: Securable(.table, "main.s.t"), grants: ["analysts": ["SELECT"], "engineers": ["SELECT", "MODIFY"]])))

    let flag = Resource(id: ResourceID(.featureFlag, "new-checkout"), spec: .featureFlag(FlagSpec(
        variants: ["on": true, "off": false], defaultVariant: "off",
        targeting: .object(["fractional": .array([.array(["on", 10]), .array(["off", 90])])]), metadata: ["owner": "team", "share": .double(0.1)])))

    func plan(_ lakehouse: LocalLakehouse, _ desired: [Resource]) throws -> Plan {
        Planner.plan(.init(environment: "dev", revision: "r", target: lakehouse.summary, desired: desired,
                           observed: try lakehouse.observe(), inventory: try store.inventory("dev"), prune: true))
    }

    @discardableResult
    func converge(_ lakehouse: LocalLakehouse, _ desired: [Resource]) async throws -> Plan {
        let plan = try plan(lakehouse, desired)
        let report = try await Applier.apply(plan, to: lakehouse, context: .init(store: store, actor: "test", kind: .apply, digest: "d"))
        #expect(report.succeeded, "\(report.outcomes)")
        #expect(try self.plan(lakehouse, desired).hasChanges == false, "converges in one apply")
        return plan
    }

    @Test func everyKindRoundTripsThroughTheCatalogDatabaseAndFlagFile() async throws {
        let dir = try TemporaryDirectory()
        let lakehouse = LocalLakehouse(path: "lake", relativeTo: dir.url)
        let desired = namespaces + [model, pipeline, grants, flag]
        try await converge(lakehouse, desired)
        let observed = Dictionary(uniqueKeysWithValues: try lakehouse.observe().map { ($0.id, $0.spec) })
        for resource in [model, pipeline, grants, flag] {
            #expect(observed[resource.id] == resource.spec, "\(resource.id)")
        }
        // The database is what the next process reads: check it with the sqlite3 CLI.
        let rows = try Shell.check("sqlite3", [dir.url.appendingPathComponent("lake/catalog.db").path,
                                               "SELECT principal || ':' || privilege FROM grants ORDER BY 1"]).stdout
        #expect(rows == "analysts:SELECT\nengineers:MODIFY\nengineers:SELECT\n")
    }

    @Test func updatesAndDeletesOfEachKind() async throws {
        let dir = try TemporaryDirectory()
        let lakehouse = LocalLakehouse(path: "lake", relativeTo: dir.url)
        try await converge(lakehouse, namespaces + [model, pipeline, grants, flag])

        var newModel = model
        if case .model(var spec) = newModel.spec { spec.versions[1] = nil; spec.aliases = ["champion": 2]; spec.tags["stage"] = "prod"; newModel.spec = .model(spec) }
        var newPipeline = pipeline
        if case .pipeline(var spec) = newPipeline.spec { spec.continuous = true; spec.schedule = nil; newPipeline.spec = .pipeline(spec) }
        var newGrants = grants
        if case .grants(var spec) = newGrants.spec { spec.grants["engineers"] = ["SELECT"]; newGrants.spec = .grants(spec) }
        var newFlag = flag
        if case .featureFlag(var spec) = newFlag.spec { spec.state = .disabled; newFlag.spec = .featureFlag(spec) }
        let update = try await converge(lakehouse, namespaces + [newModel, newPipeline, newGrants, newFlag])
        #expect(update.changes.map(\.action) == [.update, .update, .update, .update])
        #expect(update.changes.first { $0.id == model.id }?.destructiveReasons == [.modelVersionDeleted(1)])
        #expect(update.changes.first { $0.id == grants.id }?.destructiveReasons == [.revokes(privilege: "MODIFY", securable: "table:main.s.t", principal: "engineers")])

        let delete = try await converge(lakehouse, namespaces + [newModel])
        #expect(Set(delete.changes.map(\.id)) == [pipeline.id, grants.id, flag.id])
        #expect(delete.changes.allSatisfy { $0.action == .delete && $0.isDestructive })
        let remaining = try lakehouse.observe().map(\.id)
        #expect(!remaining.contains(pipeline.id) && !remaining.contains(grants.id) && !remaining.contains(flag.id))
        #expect(remaining.contains(model.id))
    }

    @Test func flagsOthersWroteAreKept() async throws {
        let dir = try TemporaryDirectory()
        try dir.write("lake/flags.json", """
        {"flags": {"theirs": {"state": "ENABLED", "variants": {"a": 1}, "defaultVariant": "a"}}, "$evaluators": {"x": {"in": ["a", "b"]}}}
        """)
        let lakehouse = LocalLakehouse(path: "lake", relativeTo: dir.url)
        let plan = try await converge(lakehouse, [flag])
        #expect(plan.changes.map(\.id) == [flag.id])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(dir.read("lake/flags.json").utf8)) as? [String: Any])
        #expect((document["flags"] as? [String: Any])?.keys.sorted() == ["new-checkout", "theirs"])
        #expect(document["$evaluators"] != nil)
        #expect(document["$schema"] as? String == "https://flagd.dev/schema/v0/flags.json")
        #expect(try self.plan(lakehouse, [flag]).unmanaged == [ResourceID(.featureFlag, "theirs")])
    }

    @Test func droppingATableDropsItsGrants() async throws {
        let dir = try TemporaryDirectory()
        let lakehouse = LocalLakehouse(path: "lake", relativeTo: dir.url)
        try await converge(lakehouse, namespaces + [grants])
        try await converge(lakehouse, Array(namespaces.prefix(3)) + [Resource(id: ResourceID(.table, "main.s.other"), spec: namespaces[3].spec)])
        #expect(!(try lakehouse.observe().map(\.id).contains(grants.id)))
    }

    @Test func aLockedDatabaseIsWaitedForThenAClearError() async throws {
        let dir = try TemporaryDirectory()
        let lakehouse = LocalLakehouse(path: "lake", relativeTo: dir.url)
        try await converge(lakehouse, namespaces + [grants])
        // Another process holds the write lock for longer than we wait.
        let database = dir.url.appendingPathComponent("lake/catalog.db").path
        let holder = try SQLiteLockHolder(database: database, mode: "EXCLUSIVE")

        let impatient = LocalLakehouse(path: "lake", relativeTo: dir.url, lockTimeoutMilliseconds: 300)
        let started = Date()
        #expect {
            try impatient.observe()
        } throws: { error in
            (error as! TargetError).message.contains("the catalog database lake/catalog.db is locked by another process; waited 0.3 s")
        }
        #expect(Date().timeIntervalSince(started) >= 0.25, "it waits before giving up")
        withExtendedLifetime(holder) {}
    }
}

/// A catalog.db list or map that does not read is never a match for a manifest (#16 review).
@Suite struct JSONColumnTests {
    @Test func unreadableListsAndMapsReadAsNothingDeclared() {
        #expect(JSONColumn.strings(.text("[\"a\",\"b\"]")) == ["a", "b"])
        #expect(JSONColumn.strings(.text("[]")) == [])
        for damaged: SQLValue in [.text("not json"), .text("[1]"), .text("[\"a\", 2]"), .text("{}"), .null] {
            let read = JSONColumn.strings(damaged)
            #expect(read.count == 1 && read[0].hasPrefix("(unreadable: "), "\(damaged): \(read)")
        }
        #expect(JSONColumn.map(.text("{\"k\":\"v\"}")) == ["k": "v"])
        #expect(JSONColumn.map(.text("{}")) == [:])
        for damaged: SQLValue in [.text("[]"), .text("{\"k\":1}"), .text("oops"), .null] {
            #expect(JSONColumn.map(damaged).keys.first?.hasPrefix("(unreadable: ") == true, "\(damaged)")
        }
    }
}
