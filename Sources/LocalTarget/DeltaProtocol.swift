import Model

/// A Delta table's protocol: reader and writer versions, and the writer features a
/// version-7 writer must list. Legacy versions imply features (writer 3 means CHECK
/// constraints, 4 change data feed…); once a table needs a feature only version 7
/// can name (liquid clustering), every implied feature is listed explicitly, so no
/// capability the table had is lost by the upgrade.
struct DeltaProtocol: Equatable {
    static let clusteringDomain = "delta.clustering"

    var reader: Int
    var writer: Int
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

    /// Every feature the table has, whichever way the protocol says it.
    var features: Set<String> { writer >= 7 ? writerFeatures : Self.implied(byWriter: writer) }

    /// The lowest protocol that supports what `spec` uses.
    static func required(by spec: TableSpec) -> DeltaProtocol {
        var writer = 2
        if !spec.constraints.isEmpty { writer = 3 }
        if spec.properties["delta.enableChangeDataFeed"] == "true" { writer = 4 }
        guard !spec.clusterBy.isEmpty else { return DeltaProtocol(reader: 1, writer: writer) }
        return DeltaProtocol(reader: 1, writer: 7, writerFeatures: implied(byWriter: writer).union(["clustering", "domainMetadata"]))
    }

    /// A protocol that supports both; never lower than either.
    func merged(with other: DeltaProtocol) -> DeltaProtocol {
        let reader = max(self.reader, other.reader)
        guard self.writer >= 7 || other.writer >= 7 else { return DeltaProtocol(reader: reader, writer: max(self.writer, other.writer)) }
        return DeltaProtocol(reader: reader, writer: 7, writerFeatures: features.union(other.features))
    }

    var action: [String: Any] {
        var action: [String: Any] = ["minReaderVersion": reader, "minWriterVersion": writer]
        if writer >= 7 { action["writerFeatures"] = writerFeatures.sorted() }
        return action
    }

    /// The `domainMetadata` action that sets the clustering columns (empty: no clustering).
    static func clustering(_ columns: [String]) -> [String: Any] {
        let configuration: [String: Any] = ["clusteringColumns": columns.map { [$0] }, "domainName": clusteringDomain]
        return ["domainMetadata": ["domain": clusteringDomain, "configuration": LocalLakehouse.jsonString(configuration), "removed": false]]
    }
}
