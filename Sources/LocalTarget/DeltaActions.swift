import Foundation
import Model
import SparkTypes

/// The actions of one commit line (or checkpoint row) that make a snapshot. A commit
/// line is read member by member (`read(line:)`) and a checkpoint row arrives as a tree
/// (`init(tree:)`); both hand each member to the same `assign`, so a value of the wrong
/// kind means the same in either, and the last of a repeated key counts, as in a tree.
struct DeltaActions {
    var proto: ProtocolFields?
    var domain: DomainFields?
    var metadata: MetadataFields?
    var add: FileFields?
    var remove: FileFields?

    /// The members of one action that a snapshot keeps.
    protocol Fields {
        init()
        /// Takes the member `key` (unknown ones are ignored).
        mutating func assign(_ key: String, _ value: Any)
    }

    struct ProtocolFields: Fields {
        var minReaderVersion: Int?
        var minWriterVersion: Int?
        var readerFeatures: [String]?
        var writerFeatures: [String]?

        mutating func assign(_ key: String, _ value: Any) {
            switch key {
            case "minReaderVersion": minReaderVersion = value as? Int
            case "minWriterVersion": minWriterVersion = value as? Int
            case "readerFeatures": readerFeatures = value as? [String]
            case "writerFeatures": writerFeatures = value as? [String]
            default: break
            }
        }
    }

    struct DomainFields: Fields {
        var domain: String?
        var removed: Bool?
        var configuration: String?

        mutating func assign(_ key: String, _ value: Any) {
            switch key {
            case "domain": domain = value as? String
            case "removed": removed = value as? Bool
            case "configuration": configuration = value as? String
            default: break
            }
        }
    }

    struct MetadataFields: Fields {
        var schemaString: String?
        var id: String?
        var name: String?
        var description: String?
        var partitionColumns: [String]?
        var configuration: [String: Any]?
        var createdTime: Int?

        mutating func assign(_ key: String, _ value: Any) {
            switch key {
            case "schemaString": schemaString = value as? String
            case "id": id = value as? String
            case "name": name = value as? String
            case "description": description = value as? String
            case "partitionColumns": partitionColumns = value as? [String]
            case "configuration": configuration = value as? [String: Any]
            case "createdTime": createdTime = value as? Int
            default: break
            }
        }
    }

    /// An `add` or a `remove`.
    struct FileFields: Fields {
        var path: String?
        var stats: String?
        var partitionValues: [String: Any]?

        mutating func assign(_ key: String, _ value: Any) {
            switch key {
            case "path": path = value as? String
            case "stats": stats = value as? String
            case "partitionValues": partitionValues = value as? [String: Any]
            default: break
            }
        }
    }

    init() {}

    init(tree action: [String: Any]) {
        func fields<F: Fields>(_ value: Any?) -> F? {
            guard let object = value as? [String: Any] else { return nil }
            var fields = F()
            for (key, member) in object { fields.assign(key, member) }
            return fields
        }
        proto = fields(action["protocol"])
        domain = fields(action["domainMetadata"])
        metadata = fields(action["metaData"])
        add = fields(action["add"])
        remove = fields(action["remove"])
    }

    /// The actions of one commit line; nil when the line is JSON but not an object.
    static func read(line: UnsafeRawBufferPointer) throws(JSONReader.Failure) -> DeltaActions? {
        var reader = JSONReader.Reader(bytes: line)
        reader.skipSpace()
        guard reader.current == UInt8(ascii: "{") else {
            try reader.skipValue(depth: 0)
            try reader.end()
            return nil
        }
        func fields<F: Fields>(_ reader: inout JSONReader.Reader) throws(JSONReader.Failure) -> F? {
            guard reader.current == UInt8(ascii: "{") else {
                try reader.skipValue(depth: 1)
                return nil
            }
            var fields = F()
            var first = true
            try reader.beginObject(depth: 1)
            while let key = try reader.nextKey(&first) { fields.assign(key, try reader.value(depth: 2)) }
            return fields
        }
        var actions = DeltaActions()
        var first = true
        try reader.beginObject(depth: 0)
        while let key = try reader.nextKey(&first) {
            switch key {
            case "protocol": actions.proto = try fields(&reader)
            case "domainMetadata": actions.domain = try fields(&reader)
            case "metaData": actions.metadata = try fields(&reader)
            case "add": actions.add = try fields(&reader)
            case "remove": actions.remove = try fields(&reader)
            default: try reader.skipValue(depth: 1)
            }
        }
        try reader.end()
        return actions
    }

    /// Applies the actions to `snapshot`, in the order a line's actions always were.
    func apply(to snapshot: inout DeltaSnapshot, sawMetadata: inout Bool, at place: String, id: ResourceID) throws(TargetError) {
        if let proto {
            snapshot.minReaderVersion = proto.minReaderVersion ?? 1
            snapshot.minWriterVersion = proto.minWriterVersion ?? 2
            snapshot.writerFeatures = Set(proto.writerFeatures ?? [])
            snapshot.readerFeatures = Set(proto.readerFeatures ?? [])
        }
        if let domain, domain.domain == DeltaProtocol.clusteringDomain {
            if domain.removed == true {
                snapshot.clusteringColumns = []
            } else {
                guard let text = domain.configuration,
                      let configuration = (try? JSONReader.parse(text)) as? [String: Any],
                      let paths = configuration["clusteringColumns"] as? [[String]] else {
                    throw TargetError(id, "\(place): the delta.clustering domain has no readable clusteringColumns")
                }
                snapshot.clusteringColumns = paths.map { $0.joined(separator: ".") }
            }
        }
        if let metadata {
            try apply(metadata, to: &snapshot, at: place, id: id)
            sawMetadata = true
        }
        if let add, let path = add.path {
            snapshot.liveFiles.insert(path)
            let values = (add.partitionValues ?? [:]).mapValues { $0 as? String }
            snapshot.fileFacts[path] = DeltaSnapshot.FileFacts(stats: add.stats, partitionValues: values)
        }
        if let path = remove?.path {
            snapshot.liveFiles.remove(path)
            snapshot.fileFacts[path] = nil
        }
    }

    private func apply(_ metadata: MetadataFields, to snapshot: inout DeltaSnapshot, at place: String, id: ResourceID) throws(TargetError) {
        guard let schemaString = metadata.schemaString else {
            throw TargetError(id, "\(place): metaData has no readable schemaString")
        }
        do {
            snapshot.columns = try SparkSchema.columns(fromSchemaString: schemaString)
        } catch {
            switch error {
            case .unreadable: throw TargetError(id, "\(place): metaData has no readable schemaString")
            case .invalid(let invalid): throw TargetError(id, "\(place): \(invalid.message)")
            }
        }
        snapshot.schemaString = schemaString
        snapshot.tableID = metadata.id ?? ""
        snapshot.name = metadata.name
        snapshot.description = metadata.description
        snapshot.partitionColumns = metadata.partitionColumns ?? []
        snapshot.configuration = (metadata.configuration ?? [:]).compactMapValues { $0 as? String }
        snapshot.createdTime = metadata.createdTime
    }
}

/// What the fuzzers feed a table's log from outside: a commit file another engine, or
/// anyone with write access to the table's directory, wrote.
public enum DeltaLogFuzzing {
    /// `bytes` as commit 0 of a table, replayed as observing it does, then the table as
    /// a manifest would declare it. Errors are fine; a crash, a hang or unbounded memory
    /// is the bug.
    public static func replay(_ bytes: [UInt8]) {
        var snapshot = DeltaSnapshot(version: -1, minReaderVersion: 0, minWriterVersion: 0, tableID: "", columns: [],
                                     partitionColumns: [], configuration: [:], liveFiles: [])
        var sawMetadata = false
        let id = ResourceID(.table, "main.fuzz.t")
        guard (try? DeltaLog.replayCommit(Data(bytes), at: "fuzz/_delta_log/" + DeltaLog.fileName(0), into: &snapshot, sawMetadata: &sawMetadata, id: id)) != nil,
              sawMetadata else { return }
        _ = snapshot.spec
    }
}
