import Foundation
import Model
import SparkTypes
import Runtime

extension LocalLakehouse {
    // MARK: Tables

    /// The table's rows, checked for each of `checks` (statistics first, then the data files).
    public func verify(_ checks: [DataCheck], of table: Resource) throws(TargetError) -> [DataEvidence] {
        let directory = directory(table.id)
        let snapshot = try DeltaLog(tableDirectory: directory, id: table.id).snapshot()
        if let planned = table.observation?.version, planned != snapshot.version {
            return checks.map { _ in DataEvidence(.unverifiable("the table moved from version \(planned) to \(snapshot.version) while it was checked; run plan again")) }
        }
        var checker = try DataChecker(tableDirectory: directory, snapshot: snapshot, id: table.id)
        return checks.map { checker.evidence($0) }
    }

    /// Writer features a metadata-only commit honours: the ones reconcile writes, and
    /// the ones that constrain only data files (which reconcile never writes).
    static let writableFeatures: Set<String> = [
        "appendOnly", "invariants", "checkConstraints", "changeDataFeed", "generatedColumns", "columnMapping",
        "identityColumns", "clustering", "domainMetadata", "typeWidening", "typeWidening-preview", "timestampNtz",
        "deletionVectors", "v2Checkpoint", "vacuumProtocolCheck", "rowTracking",
    ]

    func createTable(_ id: ResourceID, _ spec: TableSpec) throws(TargetError) {
        let log = DeltaLog(tableDirectory: directory(id), id: id)
        if FileManager.default.fileExists(atPath: log.logDirectory.path) && !log.isAbandoned {
            throw TargetError(id, "\(log.logDirectory.path) appeared since the plan was made; run plan again")
        }
        let now = Self.now()
        let mapping = spec.properties[DeltaProperties.columnMapping] == "name"
        var schema = DeltaSchema(mapping: mapping, maxColumnId: 0, id: id)
        let schemaJSON = try schema.json(for: spec.columns, previous: [])
        let metadata = try Self.metadata(id: UUID().uuidString.lowercased(), name: String(id.name.split(separator: ".").last!), spec: spec,
                                     schema: schemaJSON, evolution: mapping ? ["delta.columnMapping.maxColumnId": String(schema.maxColumnId)] : [:],
                                     createdTime: now)
        var parameters = ["partitionBy": try Self.jsonString(spec.partitionedBy)]
        if !spec.clusterBy.isEmpty { parameters["clusterBy"] = try Self.jsonString(spec.clusterBy) }
        var actions: [[String: Any]] = [
            Self.commitInfo(operation: "CREATE TABLE", timestamp: now, parameters: parameters),
            ["protocol": DeltaProtocol.required(by: spec, columnMapping: mapping, typeWidening: spec.properties[DeltaProperties.typeWidening] == "true").action],
            ["metaData": metadata],
        ]
        if !spec.clusterBy.isEmpty { actions.append(try DeltaProtocol.clustering(spec.clusterBy)) }
        try log.commit(version: 0, actions: actions)
    }

    /// Commits the table's next version; returns it.
    func updateTable(_ change: Change) throws(TargetError) -> Int {
        let id = change.id
        let spec = change.desired!.table!
        let log = DeltaLog(tableDirectory: directory(id), id: id)
        let snapshot = try log.snapshot()
        if let planned = change.observed?.observation?.version, planned != snapshot.version {
            throw TargetError(id, "the table moved from version \(planned) to \(snapshot.version) since the plan was made; run plan again")
        }
        let unknown = snapshot.writerFeatures.subtracting(Self.writableFeatures)
        if snapshot.minWriterVersion >= 7, !unknown.isEmpty {
            throw TargetError(id, "the table uses the Delta writer feature\(unknown.count == 1 ? "" : "s") \(unknown.sorted().joined(separator: ", ")), which reconcile does not write; nothing was written: change this table with the engine that enabled \(unknown.count == 1 ? "it" : "them"), or mark it reconcile/ignore")
        }
        let now = Self.now()
        var actions: [[String: Any]] = [
            Self.commitInfo(operation: change.action == .replace ? "REPLACE TABLE" : Self.operation(for: change.fields),
                            timestamp: now, parameters: [:], readVersion: snapshot.version),
        ]
        var (schema, evolution) = try evolvedSchema(change, snapshot)
        // Tags the manifest does not declare are not managed: they stay as they are.
        if spec.tags == nil, let kept = snapshot.configuration[SparkSchema.tagsKey] { evolution[SparkSchema.tagsKey] = kept }
        let current = DeltaProtocol(reader: snapshot.minReaderVersion, writer: snapshot.minWriterVersion,
                                    readerFeatures: snapshot.readerFeatures, writerFeatures: snapshot.writerFeatures)
        let upgraded = current.merged(with: DeltaProtocol.required(by: spec, columnMapping: evolution[DeltaProperties.columnMapping] != nil,
                                                                   typeWidening: evolution[DeltaProperties.typeWidening] == "true"))
        if upgraded != current {
            actions.append(["protocol": upgraded.action])
        }
        if snapshot.clusteringColumns.map({ $0.lowercased() }) != spec.clusterBy.map({ $0.lowercased() }) {
            actions.append(try DeltaProtocol.clustering(spec.clusterBy))
        }
        if change.action == .replace {
            // Every live file goes: the data no longer fits the schema. History keeps it.
            for path in snapshot.liveFiles.sorted() {
                actions.append(["remove": ["path": path, "deletionTimestamp": now, "dataChange": true]])
            }
        }
        let name = String(id.name.split(separator: ".").last!)
        actions.append(["metaData": try Self.metadata(id: snapshot.tableID, name: name, spec: spec, schema: schema, evolution: evolution,
                                                  createdTime: snapshot.createdTime ?? now)])
        try log.commit(version: snapshot.version + 1, actions: actions)
        return snapshot.version + 1
    }

    /// The schema the change leaves, and the properties its evolution sets: column
    /// mapping when the plan enables it (or the table has it), type widening when a
    /// column's storage widens. A replace starts from no fields (its files go).
    private func evolvedSchema(_ change: Change, _ snapshot: DeltaSnapshot) throws(TargetError) -> ([String: Any], [String: String]) {
        let spec = change.desired!.table!
        var evolution = snapshot.configuration.filter { DeltaProperties.setByEvolution.contains($0.key) }
        let mode = snapshot.configuration[DeltaProperties.columnMapping]
        let mapping = mode == "name" || mode == "id" || spec.properties[DeltaProperties.columnMapping] == "name"
            || change.fields.contains { $0.op == .add && $0.path == FieldChange.pointer(["properties", DeltaProperties.columnMapping]) }
        var schema = DeltaSchema(mapping: mapping, maxColumnId: Int(snapshot.configuration["delta.columnMapping.maxColumnId"] ?? "") ?? 0, id: change.id)
        let previous = change.action == .replace ? [] : try DeltaSchema.fields(of: snapshot.schemaString, id: change.id)
        let json = try schema.json(for: spec.columns, previous: previous)
        if !schema.unmapped.isEmpty {
            throw TargetError(change.id, "internal error: the change drops or renames \(schema.unmapped.joined(separator: ", ")) without column mapping, which would misread the table's files; nothing was written, run plan again and report this")
        }
        if mapping {
            evolution[DeltaProperties.columnMapping] = mode ?? "name"
            evolution["delta.columnMapping.maxColumnId"] = String(schema.maxColumnId)
        }
        if schema.widened { evolution[DeltaProperties.typeWidening] = "true" }
        return (json, evolution)
    }

    /// A `metaData` action: the manifest's properties and constraints, over what the table's evolution set.
    static func metadata(id: String, name: String, spec: TableSpec, schema: [String: Any], evolution: [String: String], createdTime: Int) throws(TargetError) -> [String: Any] {
        var configuration = evolution.merging(spec.properties) { $1 }
        if let tags = spec.tags { configuration[SparkSchema.tagsKey] = tags.isEmpty ? nil : SparkSchema.tagsText(tags) }
        configuration[SparkSchema.rowFilterKey] = spec.rowFilter.map { SparkSchema.callText($0.function, "on", $0.on) }
        for (constraint, expression) in spec.constraints {
            configuration[DeltaLog.constraintPrefix + constraint] = expression
        }
        var metadata: [String: Any] = [
            "id": id,
            "name": name,
            "format": ["provider": "parquet", "options": [String: String]()],
            "schemaString": try jsonString(schema),
            "partitionColumns": spec.partitionedBy,
            "configuration": configuration,
            "createdTime": createdTime,
        ]
        if let comment = spec.comment { metadata["description"] = comment }
        return metadata
    }

    static func operation(for fields: [FieldChange]) -> String {
        let heads = Set(fields.map { $0.segments.first ?? "" })
        if heads == ["properties"] { return "SET TBLPROPERTIES" }
        if heads == ["clusterBy"] { return "CLUSTER BY" }
        if heads == ["constraints"] { return fields.contains { $0.op == .add } ? "ADD CONSTRAINT" : "DROP CONSTRAINT" }
        if heads == ["columns"], fields.allSatisfy({ $0.op == .add }) { return "ADD COLUMNS" }
        if heads == ["columns"], fields.allSatisfy({ $0.op == .remove }) { return "DROP COLUMNS" }
        if fields.contains(where: { $0.segments.count == 3 && $0.segments[0] == "columns" && $0.segments[2] == "name" }) { return "RENAME COLUMN" }
        if heads == ["columns"] { return "CHANGE COLUMN" }
        return "UPDATE METADATA"
    }

    static func commitInfo(operation: String, timestamp: Int, parameters: [String: String], readVersion: Int? = nil) -> [String: Any] {
        var info: [String: Any] = [
            "timestamp": timestamp, "operation": operation, "operationParameters": parameters,
            "isBlindAppend": false, "engineInfo": engineInfo,
        ]
        if let readVersion { info["readVersion"] = readVersion }
        return ["commitInfo": info]
    }

    /// `value` as compact JSON. A value JSON cannot hold is an error, never a
    /// `null` written into the log in its place.
    static func jsonString(_ value: Any) throws(TargetError) -> String {
        do throws(JSONWriter.Failure) {
            return try JSONWriter.string(value)
        } catch {
            throw TargetError(nil, "cannot write \(type(of: value)) as JSON into a Delta log; nothing was written (this is a bug in reconcile): \(error.message)")
        }
    }

    static func now() -> Int { Int(Date().timeIntervalSince1970 * 1000) }
}
