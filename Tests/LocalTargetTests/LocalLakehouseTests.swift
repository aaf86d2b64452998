import Foundation
import Testing
import Model
import Engine
import SparkTypes
import TestSupport
@testable import LocalTarget

@Suite struct LocalLakehouseTests {
    let store = MemoryStateStore()

    let columns = [
        Column(name: "id", type: .long, nullable: false, comment: "key"),
        Column(name: "code", type: .varchar(8)),
        Column(name: "lines", type: .array(element: .struct([StructField(name: "sku", type: .string, nullable: false)]), containsNull: true)),
        Column(name: "attrs", type: .map(key: .string, value: .decimal(precision: 10, scale: 2), valueContainsNull: false)),
        Column(name: "day", type: .date),
    ]

    func desired(_ spec: TableSpec) -> [Resource] {
        [Resource(id: ResourceID(.catalog, "main"), spec: .catalog(NamespaceSpec(comment: "c", owner: "o", properties: ["k": "v"]))),
         Resource(id: ResourceID(.schema, "main.s"), spec: .schema(NamespaceSpec())),
         Resource(id: ResourceID(.table, "main.s.t"), spec: .table(spec))]
    }

    /// Plans and applies `resources` on `lakehouse`; fails the test on any error.
    @discardableResult
    func converge(_ lakehouse: LocalLakehouse, _ resources: [Resource]) async throws -> Plan {
        let plan = Planner.plan(.init(environment: "dev", revision: "r", target: lakehouse.summary, desired: resources,
                                      observed: try lakehouse.observe(), inventory: try store.inventory("dev"), prune: true))
        let report = try await Applier.apply(plan, to: lakehouse, context: .init(store: store, actor: "test", kind: .apply, digest: "d"))
        #expect(report.succeeded, "\(report.outcomes)")
        return plan
    }

    func replan(_ lakehouse: LocalLakehouse, _ resources: [Resource]) throws -> Plan {
        Planner.plan(.init(environment: "dev", revision: "r", target: lakehouse.summary, desired: resources,
                           observed: try lakehouse.observe(), inventory: try store.inventory("dev"), prune: true))
    }

    /// Commit names are the version zero-padded to 20 digits; lines are split on
    /// newlines only, empty ones skipped, the last one read without a newline too.
    @Test func commitNamesAndLines() {
        #expect(DeltaLog.fileName(0) == "00000000000000000000.json")
        #expect(DeltaLog.fileName(1234567) == "00000000000001234567.json")
        #expect(DeltaLog.fileName(Int.max) == "09223372036854775807.json")
        var lines: [String] = []
        DeltaLog.forEachLine(Data("{\"a\":1}\n\n{\"b\":2}\r\n\n{\"c\":3}".utf8)) { lines.append(String(decoding: $0, as: UTF8.self)) }
        #expect(lines == ["{\"a\":1}", "{\"b\":2}\r", "{\"c\":3}"])
        lines = []
        DeltaLog.forEachLine(Data()) { lines.append(String(decoding: $0, as: UTF8.self)) }
        DeltaLog.forEachLine(Data("\n\n".utf8)) { lines.append(String(decoding: $0, as: UTF8.self)) }
        #expect(lines.isEmpty)
    }

    @Test func whatIsWrittenIsObservedTheSame() async throws {
        let dir = try TemporaryDirectory()
        let lakehouse = LocalLakehouse(path: "lake", relativeTo: dir.url)
        let spec = TableSpec(comment: "t", columns: columns, partitionedBy: ["day"],
                             properties: ["delta.appendOnly": "true", "x": "y"], constraints: ["positive": "id > 0"])
        try await converge(lakehouse, desired(spec))
        let observed = try lakehouse.observe()
        #expect(observed.map(\.id.description) == ["Catalog/main", "Schema/main.s", "Table/main.s.t"])
        #expect(observed[2].table == spec)
        #expect(observed[0].spec == .catalog(NamespaceSpec(comment: "c", owner: "o", properties: ["k": "v"])))
        #expect(observed[2].observation == Observation(version: 0, hasData: false))
        #expect(try replan(lakehouse, desired(spec)).hasChanges == false)
        #expect(try store.inventory("dev").resources.count == 3)
    }

    @Test func updatesAppendACommitKeepingTheTableIdentity() async throws {
        let dir = try TemporaryDirectory()
        let lakehouse = LocalLakehouse(path: "lake", relativeTo: dir.url)
        var spec = TableSpec(columns: columns)
        try await converge(lakehouse, desired(spec))
        let log = DeltaLog(tableDirectory: dir.url.appendingPathComponent("lake/main/s/t"), id: ResourceID(.table, "main.s.t"))
        let before = try log.snapshot()
        #expect(before.minWriterVersion == 2)

        spec.columns.append(Column(name: "email", type: .string))
        spec.constraints = ["positive": "id > 0"]
        let plan = try await converge(lakehouse, desired(spec))
        #expect(plan.changes.map(\.action) == [.update])
        let after = try log.snapshot()
        #expect(after.version == 1)
        #expect(after.tableID == before.tableID)
        #expect(after.minWriterVersion == 3, "CHECK constraints need writer version 3")
        #expect(after.spec == spec)

        spec.constraints = [:]
        try await converge(lakehouse, desired(spec))
        #expect(try log.snapshot().minWriterVersion == 3, "the protocol is never lowered")
    }

    @Test func replaceRemovesEveryLiveFile() async throws {
        let dir = try TemporaryDirectory()
        let lakehouse = LocalLakehouse(path: "lake", relativeTo: dir.url)
        let spec = TableSpec(columns: columns)
        try await converge(lakehouse, desired(spec))
        let log = DeltaLog(tableDirectory: dir.url.appendingPathComponent("lake/main/s/t"), id: ResourceID(.table, "main.s.t"))
        // Another writer adds a data file.
        try log.commit(version: 1, actions: [["add": ["path": "part-0.parquet", "size": 10, "modificationTime": 0, "dataChange": true, "partitionValues": [String: String]()]]])
        #expect(try lakehouse.observe()[2].observation?.hasData == true)

        var narrowed = spec
        narrowed.columns[0].type = .integer
        let plan = try await converge(lakehouse, desired(narrowed))
        #expect(plan.changes.map(\.action) == [.replace])
        let snapshot = try log.snapshot()
        #expect(snapshot.liveFiles.isEmpty)
        #expect(snapshot.columns[0].type == .integer)
    }

    @Test func aCommitIsCreatedOnlyIfAbsent() async throws {
        let dir = try TemporaryDirectory()
        let log = DeltaLog(tableDirectory: dir.url.appendingPathComponent("t"), id: ResourceID(.table, "a.b.t"))
        try log.commit(version: 0, actions: [["commitInfo": ["operation": "first"]]])
        #expect {
            try log.commit(version: 0, actions: [["commitInfo": ["operation": "second"]]])
        } throws: { error in
            (error as! TargetError).message.contains("another writer committed version 0 first")
        }
        let text = try String(contentsOf: log.logDirectory.appendingPathComponent(DeltaLog.fileName(0)), encoding: .utf8)
        #expect(text.contains("first"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: log.logDirectory.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }

    func brokenTable(_ damage: (URL) throws -> Void) async throws -> (TemporaryDirectory, LocalLakehouse) {
        let dir = try TemporaryDirectory()
        let lakehouse = LocalLakehouse(path: "lake", relativeTo: dir.url)
        var spec = TableSpec(columns: columns)
        try await converge(lakehouse, desired(spec))
        spec.comment = "v1"
        try await converge(lakehouse, desired(spec))
        try damage(dir.url.appendingPathComponent("lake/main/s/t/_delta_log"))
        return (dir, lakehouse)
    }

    @Test func aVersionGapNamesTheMissingFile() async throws {
        let (dir, lakehouse) = try await brokenTable { log in
            try FileManager.default.moveItem(at: log.appendingPathComponent(DeltaLog.fileName(1)), to: log.appendingPathComponent(DeltaLog.fileName(2)))
        }
        #expect {
            try lakehouse.observe()
        } throws: { error in
            let error = error as! TargetError
            return error.resource == ResourceID(.table, "main.s.t") && error.message.contains("00000000000000000001.json is missing")
        }
        withExtendedLifetime(dir) {}
    }

    @Test func badJSONNamesTheFileAndLine() async throws {
        let (dir, lakehouse) = try await brokenTable { log in
            let file = log.appendingPathComponent(DeltaLog.fileName(1))
            try (String(contentsOf: file, encoding: .utf8) + "{not json\n").write(to: file, atomically: true, encoding: .utf8)
        }
        #expect {
            try lakehouse.observe()
        } throws: { error in
            (error as! TargetError).message.contains("00000000000000000001.json:3: not a JSON action")
                && (error as! TargetError).message.contains("expected a string key at byte 2")
        }
        withExtendedLifetime(dir) {}
    }

    @Test func aWriterFeatureReconcileDoesNotWriteStopsTheChangeBeforeAnyWrite() async throws {
        let (dir, lakehouse) = try await brokenTable { log in
            // Another engine turned on in-commit timestamps: every commit must carry one.
            let upgrade = #"{"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":[],"writerFeatures":["appendOnly","inCommitTimestamp","invariants"]}}"#
            try (upgrade + "\n").write(to: log.appendingPathComponent(DeltaLog.fileName(2)), atomically: true, encoding: .utf8)
        }
        var spec = TableSpec(columns: columns)
        spec.comment = "v2"
        let plan = Planner.plan(.init(environment: "dev", revision: "r", target: lakehouse.summary, desired: desired(spec),
                                      observed: try lakehouse.observe(), inventory: try store.inventory("dev"), prune: true))
        let change = try #require(plan.changes.first { $0.id.kind == .table })
        #expect {
            try lakehouse.apply(change)
        } throws: { error in
            (error as! TargetError).message.contains("the table uses the Delta writer feature inCommitTimestamp, which reconcile does not write; nothing was written")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.url.appendingPathComponent("lake/main/s/t/_delta_log/\(DeltaLog.fileName(3))").path))
    }

    @Test func anUnreadableCheckpointIsNamed() async throws {
        let (dir, lakehouse) = try await brokenTable { log in
            try Data().write(to: log.appendingPathComponent("00000000000000000001.checkpoint.parquet"))
        }
        // A process that has not seen the table (this one cached it while making it) reads the checkpoint.
        #expect {
            try DeltaLog.observedSnapshot(logPath: dir.url.appendingPathComponent("lake/main/s/t/_delta_log").path, id: ResourceID(.table, "main.s.t"), cache: SnapshotCache())
        } throws: { error in
            (error as! TargetError).message.contains("00000000000000000001.checkpoint.parquet: the checkpoint cannot be read: not a Parquet file")
        }
        _ = lakehouse
        withExtendedLifetime(dir) {}
    }

    /// A one-shot command keeps no snapshot: each observation reads the log, and sees
    /// every commit (nothing stale is served from a cache it never filled).
    @Test func snapshotsAreNotKeptWhenKeepingIsOff() async throws {
        let dir = try TemporaryDirectory()
        let cache = SnapshotCache()
        cache.keeping.store(false, ordering: .relaxed)
        let id = ResourceID(.table, "a.b.t")
        let log = DeltaLog(tableDirectory: dir.url.appendingPathComponent("t"), id: id)
        let metadata = { (comment: String) throws -> [String: Any] in
            ["metaData": try LocalLakehouse.metadata(id: "id-1", name: "t", spec: TableSpec(comment: comment, columns: columns),
                                                schema: SparkSchema.json(columns: columns), evolution: [:], createdTime: 1)]
        }
        try log.commit(version: 0, actions: [["protocol": ["minReaderVersion": 1, "minWriterVersion": 2]], try metadata("v0")])
        #expect(try DeltaLog.observedSnapshot(logPath: log.logDirectory.path, id: id, cache: cache)?.description == "v0")
        #expect(cache.count(under: dir.url.path) == 0)
        try log.commit(version: 1, actions: [try metadata("v1")])
        #expect(try DeltaLog.observedSnapshot(logPath: log.logDirectory.path, id: id, cache: cache)?.description == "v1")
        #expect(cache.count(under: dir.url.path) == 0)
        cache.keeping.store(true, ordering: .relaxed)
        _ = try DeltaLog.observedSnapshot(logPath: log.logDirectory.path, id: id, cache: cache)
        #expect(cache.count(under: dir.url.path) == 1, "kept once keeping is on again")
    }

    @Test func snapshotsAreReusedReplayedIncrementallyAndRereadWhenTheTableIsNew() async throws {
        let dir = try TemporaryDirectory()
        let cache = SnapshotCache()
        let id = ResourceID(.table, "a.b.t")
        let log = DeltaLog(tableDirectory: dir.url.appendingPathComponent("t"), id: id)
        let metadata = { (columns: [Column], comment: String) throws -> [String: Any] in
            ["metaData": try LocalLakehouse.metadata(id: "id-1", name: "t", spec: TableSpec(comment: comment, columns: columns),
                                                schema: SparkSchema.json(columns: columns), evolution: [:], createdTime: 1)]
        }
        try log.commit(version: 0, actions: [["protocol": ["minReaderVersion": 1, "minWriterVersion": 2]], try metadata(columns, "v0")])
        try log.commit(version: 1, actions: [try metadata(columns, "v1")])
        #expect(try DeltaLog.observedSnapshot(logPath: log.logDirectory.path, id: id, cache: cache)?.description == "v1")

        // Damage version 0 in place: a cached snapshot (the latest commit unchanged) does not read it again.
        let first = try FileHandle(forWritingTo: log.logDirectory.appendingPathComponent(DeltaLog.fileName(0)))
        try first.write(contentsOf: Data("{broken".utf8))
        try first.close()
        #expect(try DeltaLog.observedSnapshot(logPath: log.logDirectory.path, id: id, cache: cache)?.description == "v1", "reused")
        #expect(throws: TargetError.self) { try DeltaLog.observedSnapshot(logPath: log.logDirectory.path, id: id, cache: SnapshotCache()) }

        // A new commit is replayed on top of the cached snapshot, without version 0.
        try log.commit(version: 2, actions: [metadata(columns, "v2")])
        let moved = try #require(try DeltaLog.observedSnapshot(logPath: log.logDirectory.path, id: id, cache: cache))
        #expect(moved.version == 2 && moved.description == "v2")

        // The table deleted and created again at the same path, as far as version 2: read anew.
        try FileManager.default.removeItem(at: log.tableDirectory)
        try log.commit(version: 0, actions: [["protocol": ["minReaderVersion": 1, "minWriterVersion": 2]], metadata([columns[0]], "new")])
        try log.commit(version: 1, actions: [metadata([columns[0]], "new, v1")])
        try log.commit(version: 2, actions: [metadata([columns[0]], "new, v2")])
        let recreated = try #require(try DeltaLog.observedSnapshot(logPath: log.logDirectory.path, id: id, cache: cache))
        #expect(recreated.description == "new, v2")
        #expect(recreated.columns.map(\.name) == ["id"])
    }

    /// An unchanged table costs two `stat` calls once its log directory has settled;
    /// a new commit is seen whether the directory had settled or had just changed.
    @Test func aSettledLogIsCheckedByItsDirectoryAndNewCommitsAreAlwaysSeen() async throws {
        let dir = try TemporaryDirectory()
        let cache = SnapshotCache()
        let id = ResourceID(.table, "a.b.t")
        let log = DeltaLog(tableDirectory: dir.url.appendingPathComponent("t"), id: id)
        let metadata = { (comment: String) throws -> [String: Any] in
            ["metaData": try LocalLakehouse.metadata(id: "id-1", name: "t", spec: TableSpec(comment: comment, columns: columns),
                                                schema: SparkSchema.json(columns: columns), evolution: [:], createdTime: 1)]
        }
        let path = log.logDirectory.path
        try log.commit(version: 0, actions: [["protocol": ["minReaderVersion": 1, "minWriterVersion": 2]], try metadata("v0")])
        // Just written: the directory's time is not trusted, and a commit in the same tick is seen.
        #expect(try DeltaLog.observedSnapshot(logPath: path, id: id, cache: cache)?.description == "v0")
        #expect(cache.unchanged(at: path) == nil, "a directory modified within the last two seconds is listed again")
        try log.commit(version: 1, actions: [try metadata("v1")])
        #expect(try DeltaLog.observedSnapshot(logPath: path, id: id, cache: cache)?.description == "v1")

        // Settled (its time set ten seconds back): trusted, and still right after a new commit.
        let past = timespec(tv_sec: time(nil) - 10, tv_nsec: 0)
        var times = [past, past]
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        #expect(try DeltaLog.observedSnapshot(logPath: path, id: id, cache: cache)?.description == "v1")
        #expect(cache.unchanged(at: path)?.description == "v1", "two stats prove it unchanged")
        try log.commit(version: 2, actions: [try metadata("v2")])
        #expect(cache.unchanged(at: path) == nil, "a new entry moved the directory's time")
        #expect(try DeltaLog.observedSnapshot(logPath: path, id: id, cache: cache)?.description == "v2")

        // The newest commit rewritten in place (the directory untouched): its own identity tells.
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        _ = try DeltaLog.observedSnapshot(logPath: path, id: id, cache: cache)
        #expect(cache.unchanged(at: path) != nil)
        let newest = try FileHandle(forWritingTo: log.logDirectory.appendingPathComponent(DeltaLog.fileName(2)))
        try newest.seekToEnd()
        try newest.write(contentsOf: Data("\n".utf8))
        try newest.close()
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        #expect(cache.unchanged(at: path) == nil, "the newest file's size changed")
    }

    @Test func deleteMovesToTrash() async throws {
        let dir = try TemporaryDirectory()
        let lakehouse = LocalLakehouse(path: "lake", relativeTo: dir.url)
        try await converge(lakehouse, desired(TableSpec(columns: columns)))
        let root = dir.url.appendingPathComponent("lake").path
        #expect(try lakehouse.observe().count == 3)
        #expect(SnapshotCache.shared.count(under: root) == 1)
        let plan = try await converge(lakehouse, Array(desired(TableSpec(columns: columns)).prefix(2)))
        #expect(plan.changes.map(\.action) == [.delete])
        #expect(try lakehouse.observe().count == 2)
        #expect(SnapshotCache.shared.count(under: root) == 0, "a deleted table's snapshot is not kept")
        let trash = try FileManager.default.contentsOfDirectory(atPath: dir.url.appendingPathComponent("lake/.trash").path)
        #expect(trash.count == 1)
        #expect(trash[0].hasSuffix("Table-main.s.t"))
        #expect(try store.inventory("dev").resources.count == 2)
    }

    @Test func anUnwritableRootIsAClearError() async throws {
        let dir = try TemporaryDirectory()
        try dir.write("blocker", "a file where the lakehouse should be")
        let lakehouse = LocalLakehouse(path: "blocker/lake", relativeTo: dir.url)
        #expect(try lakehouse.observe().isEmpty)
        let change = Change(id: ResourceID(.catalog, "main"), action: .create, observed: nil,
                            desired: Resource(id: ResourceID(.catalog, "main"), spec: .catalog(NamespaceSpec())))
        #expect {
            try lakehouse.apply(change)
        } throws: { error in
            (error as! TargetError).message.contains("lakehouse root blocker/lake cannot be created")
        }
    }
}
