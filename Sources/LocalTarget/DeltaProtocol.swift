import Model

/// A Delta table's protocol: reader and writer versions, and the writer features a
/// version-7 writer must list. Legacy versions imply features (writer 3 means CHECK
/// constraints, 4 change data feed, 5 column mapping; reader 2 column mapping); once
/// a table needs a feature only version 7 can name (liquid clustering, type
/// widening), every implied feature is listed explicitly, so no capability the table
/// had is lost by the upgrade.
struct DeltaProtocol: Equatable {
    static let clusteringDomain = "delta.clustering"

    var reader: Int
    var writer: Int
    /// Reader features, when the reader version is 3.
    var readerFeatures: Set<String> = []
    /// Writer features, when the writer version is 7.
    var writerFeatures: Set<String> = []

    /// Features each legacy writer version brings, cumulatively.
    static func implied(byWriter version: Int) -> Set<String> {
        var features: Set<String> = []
        if version >= 2 { features.formUnion(["appendOnly", "invariants"]) }
        if version >= 3 { features.insert("checkConstraints") }
        if version >= 4 { features.formUnion(["changeDataFeed", "generatedColumns"]) }
        if version >= 5 { features.insert("columnMapping") }
        if version >= 6 { features.insert("identityColumns") }
        return features
    }

    /// Every (writer) feature the table has, whichever way the protocol says it.
    var features: Set<String> { writer >= 7 ? writerFeatures : Self.implied(byWriter: writer) }
    /// Every feature a reader must support: reader 2 means column mapping.
    var readerSide: Set<String> { reader >= 3 ? readerFeatures : reader == 2 ? ["columnMapping"] : [] }

    /// The lowest protocol with these features: legacy versions while they can say
    /// them, table features (reader 3, writer 7) once one only they can name is needed.
    static func lowest(features: Set<String>, readerFeatures: Set<String>) -> DeltaProtocol {
        let legacyWriter = (2...6).first { implied(byWriter: $0).isSuperset(of: features.intersection(implied(byWriter: 6))) } ?? 6
        let reader = readerFeatures.isEmpty ? 1 : readerFeatures.isSubset(of: ["columnMapping"]) ? 2 : 3
        if reader < 3, features.isSubset(of: implied(byWriter: 6)) { return DeltaProtocol(reader: reader, writer: legacyWriter) }
        return DeltaProtocol(reader: reader, writer: 7, readerFeatures: reader >= 3 ? readerFeatures : [],
                             writerFeatures: implied(byWriter: legacyWriter).union(features).union(readerFeatures))
    }

    /// The lowest protocol that supports what `spec` uses, with column mapping or type widening when asked.
    static func required(by spec: TableSpec, columnMapping: Bool = false, typeWidening: Bool = false) -> DeltaProtocol {
        var features: Set<String> = []
        var readerFeatures: Set<String> = []
        if !spec.constraints.isEmpty { features.insert("checkConstraints") }
        if spec.properties["delta.enableChangeDataFeed"] == "true" { features.insert("changeDataFeed") }
        if !spec.clusterBy.isEmpty { features.formUnion(["clustering", "domainMetadata"]) }
        if columnMapping { features.insert("columnMapping"); readerFeatures.insert("columnMapping") }
        if typeWidening { features.insert("typeWidening"); readerFeatures.insert("typeWidening") }
        return lowest(features: features, readerFeatures: readerFeatures)
    }

    /// A protocol that supports both; never lower than either.
    func merged(with other: DeltaProtocol) -> DeltaProtocol {
        let readers = readerSide.union(other.readerSide)
        let lowest = Self.lowest(features: features.union(other.features), readerFeatures: readers)
        var result = DeltaProtocol(reader: max(lowest.reader, reader, other.reader), writer: max(lowest.writer, writer, other.writer))
        if result.reader >= 3 {
            result.writer = 7
            result.readerFeatures = readers
        }
        if result.writer >= 7 {
            result.writerFeatures = lowest.writerFeatures.union(features).union(other.features).union(readers)
        }
        return result
    }

    var action: [String: Any] {
        var action: [String: Any] = ["minReaderVersion": reader, "minWriterVersion": writer]
        if reader >= 3 { action["readerFeatures"] = readerFeatures.sorted() }
        if writer >= 7 { action["writerFeatures"] = writerFeatures.sorted() }
        return action
    }

    /// The `domainMetadata` action that sets the clustering columns (empty: no clustering).
    static func clustering(_ columns: [String]) throws(TargetError) -> [String: Any] {
        let configuration: [String: Any] = ["clusteringColumns": columns.map { [$0] }, "domainName": clusteringDomain]
        return ["domainMetadata": ["domain": clusteringDomain, "configuration": try LocalLakehouse.jsonString(configuration), "removed": false]]
    }
}
