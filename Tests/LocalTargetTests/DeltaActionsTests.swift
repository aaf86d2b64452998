import Foundation
import Model
import SparkTypes
import Testing
@testable import LocalTarget

/// A commit line read member by member replays exactly as the parsed tree did: the
/// same snapshot after every line, or the same error.
@Suite struct DeltaActionsTests {
    /// The replay this reader replaced, kept as the oracle: parse the line, then take
    /// each action from the tree.
    static func replayTree(_ line: String, into snapshot: inout DeltaSnapshot, sawMetadata: inout Bool) throws -> Bool {
        guard let action = try JSONReader.parse(line) as? [String: Any] else { return false }
        if let proto = action["protocol"] as? [String: Any] {
            snapshot.minReaderVersion = proto["minReaderVersion"] as? Int ?? 1
            snapshot.minWriterVersion = proto["minWriterVersion"] as? Int ?? 2
            snapshot.writerFeatures = Set(proto["writerFeatures"] as? [String] ?? [])
            snapshot.readerFeatures = Set(proto["readerFeatures"] as? [String] ?? [])
        }
        if let domain = action["domainMetadata"] as? [String: Any], domain["domain"] as? String == DeltaProtocol.clusteringDomain {
            if domain["removed"] as? Bool == true {
                snapshot.clusteringColumns = []
            } else {
                guard let text = domain["configuration"] as? String, let configuration = (try? JSONReader.parse(text)) as? [String: Any],
                      let paths = configuration["clusteringColumns"] as? [[String]] else { throw Problem("clustering") }
                snapshot.clusteringColumns = paths.map { $0.joined(separator: ".") }
            }
        }
        if let metadata = action["metaData"] as? [String: Any] {
            guard let schemaString = metadata["schemaString"] as? String, let schema = try? JSONReader.parse(schemaString),
                  let object = schema as? [String: Any], object["type"] as? String == "struct", let fields = object["fields"] as? [Any] else {
                throw Problem("schema")
            }
            snapshot.columns = try fields.map { item in
                let field = try SparkSchema.structField(item)
                return Column(name: field.name, type: field.type, nullable: field.nullable, comment: field.comment)
            }
            snapshot.schemaString = schemaString
            snapshot.tableID = metadata["id"] as? String ?? ""
            snapshot.name = metadata["name"] as? String
            snapshot.description = metadata["description"] as? String
            snapshot.partitionColumns = metadata["partitionColumns"] as? [String] ?? []
            snapshot.configuration = (metadata["configuration"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
            snapshot.createdTime = metadata["createdTime"] as? Int
            sawMetadata = true
        }
        if let add = action["add"] as? [String: Any], let path = add["path"] as? String {
            snapshot.liveFiles.insert(path)
            snapshot.fileFacts[path] = DeltaSnapshot.FileFacts(stats: add["stats"] as? String, partitionValues: (add["partitionValues"] as? [String: Any] ?? [:]).mapValues { $0 as? String })
        }
        if let remove = action["remove"] as? [String: Any], let path = remove["path"] as? String {
            snapshot.liveFiles.remove(path)
            snapshot.fileFacts[path] = nil
        }
        return true
    }

    struct Problem: Error { var what: String; init(_ what: String) { self.what = what } }

    enum Outcome: Equatable { case snapshot(String), notAnObject, unreadable, problem }

    static func describe(_ snapshot: DeltaSnapshot, _ sawMetadata: Bool) -> String {
        let facts = snapshot.fileFacts.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value.stats ?? "-"):\($0.value.partitionValues.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value ?? "null")" })" }
        return "\(snapshot.minReaderVersion) \(snapshot.minWriterVersion) \(snapshot.readerFeatures.sorted()) \(snapshot.writerFeatures.sorted()) "
            + "\(snapshot.clusteringColumns) \(snapshot.tableID) \(snapshot.name ?? "-") \(snapshot.description ?? "-") \(snapshot.columns) "
            + "\(snapshot.partitionColumns) \(snapshot.configuration.sorted { $0.key < $1.key }) \(snapshot.createdTime ?? -1) \(snapshot.liveFiles.sorted()) \(facts) \(sawMetadata)"
    }

    static let empty = DeltaSnapshot(version: 0, minReaderVersion: 0, minWriterVersion: 0, tableID: "", columns: [], partitionColumns: [], configuration: [:], liveFiles: [])

    struct Lines {
        var generator = SystemRandomNumberGenerator()
        mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &generator) < percent }
        mutating func pick(_ items: [String]) -> String { items.randomElement(using: &generator)! }
        static func quote(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }

        mutating func object(_ members: [(String, String)]) -> String {
            var members = members.shuffled(using: &generator)
            if chance(8), let some = members.first { members.append((some.0, pick(["1", "null", "\"x\"", "[]", "{}"]))) }
            if chance(10) { members.append(("extra", pick(["1", "{\"a\":[1,2,{\"b\":null}]}", "\"é\""]))) }
            return "{" + members.map { Self.quote($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
        }

        mutating func value(_ good: [String]) -> String { chance(85) ? pick(good) : pick(["1", "-2.5", "null", "true", "\"s\"", "[]", "{}", "[\"a\",1]"]) }

        mutating func action() -> (String, String) {
            let schema = Self.quote(#"{"type":"struct","fields":[{"name":"id","type":"long","nullable":false,"metadata":{"comment":"k\"ey"}},{"name":"d","type":"decimal(18,2)","nullable":true,"metadata":{}}]}"#)
            switch Int.random(in: 0..<7, using: &generator) {
            case 0: return ("protocol", object([("minReaderVersion", value(["1", "3"])), ("minWriterVersion", value(["2", "7"])),
                                                ("readerFeatures", value(["[\"deletionVectors\"]", "[]"])), ("writerFeatures", value(["[\"columnMapping\",\"domainMetadata\"]"]))]))
            case 1: return ("domainMetadata", object([("domain", value(["\"delta.clustering\"", "\"other\""])), ("removed", value(["false", "true"])),
                                                      ("configuration", value([Self.quote(#"{"clusteringColumns":[["a"],["b","c"]]}"#), Self.quote("{}"), Self.quote("[")]))]))
            case 2: return ("metaData", object([("schemaString", value([schema, Self.quote("{\"type\":\"struct\"}"), Self.quote("nope")])), ("id", value(["\"u-1\""])),
                                                ("name", value(["\"t\""])), ("description", value(["\"a \\\"table\\\"\""])), ("partitionColumns", value(["[\"d\"]", "[]"])),
                                                ("configuration", value(["{\"delta.appendOnly\":\"true\",\"n\":1}", "{}"])), ("createdTime", value(["1700000000000", "12"])),
                                                ("format", "{\"provider\":\"parquet\",\"options\":{}}")]))
            case 3: return ("add", object([("path", value(["\"a.parquet\"", "\"d=1/b.parquet\""])), ("stats", value(["\"{\\\"numRecords\\\":3}\""])),
                                           ("partitionValues", value(["{\"d\":\"1\",\"e\":null}", "{}"])), ("size", "12"), ("dataChange", "true")]))
            case 4: return ("remove", object([("path", value(["\"a.parquet\"", "\"d=1/b.parquet\""])), ("deletionTimestamp", "5")]))
            case 5: return ("commitInfo", object([("operation", "\"WRITE\""), ("operationParameters", "{\"mode\":\"Append\",\"partitionBy\":\"[]\"}")]))
            default: return (pick(["txn", "cdc", "checkpointMetadata"]), value(["{\"appId\":\"x\",\"version\":3}"]))
            }
        }

        mutating func line() -> String {
            var text = object((0..<Int.random(in: 1...2, using: &generator)).map { _ in action() })
            if chance(3) { text = pick(["[1,2]", "\"s\"", "3", "null"]) }
            if chance(4) { text = String(text.prefix(Int.random(in: 0..<text.count, using: &generator))) }
            if chance(2) { text += pick([" x", "}", "  "]) }
            return text
        }
    }

    @Test func readsEachLineAsTheParsedTreeDid() {
        var lines = Lines()
        var counts: [String: Int] = [:]
        for _ in 0..<400 {
            var tree = Self.empty, typed = Self.empty
            var treeSaw = false, typedSaw = false
            for _ in 0..<Int.random(in: 1...8) {
                let line = lines.line()
                let expected: Outcome
                do {
                    expected = try Self.replayTree(line, into: &tree, sawMetadata: &treeSaw) ? .snapshot(Self.describe(tree, treeSaw)) : .notAnObject
                } catch is JSONReader.Failure {
                    expected = .unreadable
                } catch {
                    expected = .problem
                }
                let actual: Outcome
                do {
                    if let actions = try line.utf8CString.withUnsafeBytes({ bytes in try DeltaActions.read(line: UnsafeRawBufferPointer(rebasing: bytes.dropLast())) }) {
                        do throws(TargetError) {
                            try actions.apply(to: &typed, sawMetadata: &typedSaw, at: "l", id: ResourceID(.table, "main.s.t"))
                            actual = .snapshot(Self.describe(typed, typedSaw))
                        } catch {
                            actual = .problem
                        }
                    } else {
                        actual = .notAnObject
                    }
                } catch {
                    actual = .unreadable
                }
                #expect(actual == expected, "\(line)")
                guard actual == expected else { return }
                counts["\(expected)".prefix(8).description, default: 0] += 1
                if case .snapshot = expected {} else { break }
            }
        }
        #expect(counts.count == 4 && counts.values.allSatisfy { $0 > 20 }, "\(counts)")
    }
}
