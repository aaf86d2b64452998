import Foundation
/// A Delta table's desired or observed shape.
public struct TableSpec: Sendable, Hashable {
    public var comment: String?
    public var columns: [Column]
    public var partitionedBy: [String]
    /// Liquid clustering columns (Delta's `clustering` table feature); exclusive with partitioning.
    public var clusterBy: [String]
    public var properties: [String: String]
    /// CHECK constraints by name.
    public var constraints: [String: String]
    /// An external location, when the table is not managed under the target's root.
    public var location: String?
    /// Unity Catalog tags on the table; nil: not managed (whatever is there stays).
    public var tags: [String: String]?
    /// Which rows may be read.
    public var rowFilter: RowFilter?

    /// The functions its masks and row filter call (asked for every table of every plan:
    /// most have none, and get no set built).
    public var functionsUsed: [String] {
        let masks = columns.compactMap(\.mask?.function)
        if masks.isEmpty, rowFilter == nil { return [] }
        return Array(Set(masks + (rowFilter.map { [$0.function] } ?? []))).sorted()
    }

    /// Field by field, as the synthesized equality would, but reading the columns in
    /// place: the synthesized one copied each column out to compare it, and a plan
    /// compares every table it observes.
    public static func == (lhs: TableSpec, rhs: TableSpec) -> Bool {
        lhs.comment == rhs.comment && Column.same(lhs.columns, rhs.columns) && lhs.partitionedBy == rhs.partitionedBy
            && lhs.clusterBy == rhs.clusterBy && lhs.properties == rhs.properties && lhs.constraints == rhs.constraints
            && lhs.location == rhs.location && lhs.tags == rhs.tags && lhs.rowFilter == rhs.rowFilter
    }

    public init(
        comment: String? = nil, columns: [Column], partitionedBy: [String] = [], clusterBy: [String] = [],
        properties: [String: String] = [:], constraints: [String: String] = [:], location: String? = nil, tags: [String: String]? = nil,
        rowFilter: RowFilter? = nil
    ) {
        self.tags = tags
        self.rowFilter = rowFilter
        self.comment = comment
        self.columns = columns
        self.partitionedBy = partitionedBy
        self.clusterBy = clusterBy
        self.properties = properties
        self.constraints = constraints
        self.location = location
    }

    /// The column called `name`, compared without case as Delta does.
    public func column(named name: String) -> Column? {
        if let exact = columns.first(where: { $0.name == name }) { return exact }
        let wanted = name.lowercased()
        return columns.first { $0.name.lowercased() == wanted }
    }
}

/// One top-level column.
public struct Column: Sendable, Hashable {
    public var name: String
    public var type: DataType
    public var comment: String?
    public var nullable: Bool
    /// The fields most columns leave out, in one shared box: 100,000 tables hold
    /// 1.5 million columns, and each would otherwise carry 40 bytes of empty slots.
    private var rare: Rare?

    private final class Rare: Sendable {
        let renamedFrom: String?
        let tags: [String: String]?
        let mask: ColumnMask?

        init(renamedFrom: String?, tags: [String: String]?, mask: ColumnMask?) {
            self.renamedFrom = renamedFrom
            self.tags = tags
            self.mask = mask
        }

        /// Nil when every field is nil: most columns hold no box at all.
        static func make(renamedFrom: String?, tags: [String: String]?, mask: ColumnMask?) -> Rare? {
            renamedFrom == nil && tags == nil && mask == nil ? nil : Rare(renamedFrom: renamedFrom, tags: tags, mask: mask)
        }
    }

    /// The name the column had before (`renamedFrom:` in the manifest): a planning
    /// hint, so a rename keeps the column's data. Never observed.
    public var renamedFrom: String? {
        get { rare?.renamedFrom }
        set { rare = Rare.make(renamedFrom: newValue, tags: tags, mask: mask) }
    }

    /// Unity Catalog tags on the column; nil: not managed.
    public var tags: [String: String]? {
        get { rare?.tags }
        set { rare = Rare.make(renamedFrom: renamedFrom, tags: newValue, mask: mask) }
    }

    /// The function the column is read through.
    public var mask: ColumnMask? {
        get { rare?.mask }
        set { rare = Rare.make(renamedFrom: renamedFrom, tags: tags, mask: newValue) }
    }

    public init(name: String, type: DataType, nullable: Bool = true, comment: String? = nil, renamedFrom: String? = nil, tags: [String: String]? = nil) {
        self.name = name
        self.type = type
        self.nullable = nullable
        self.comment = comment
        self.rare = Rare.make(renamedFrom: renamedFrom, tags: tags, mask: nil)
    }

    /// Whether two column lists are equal, compared in place (no column copied out).
    static func same(_ lhs: [Column], _ rhs: [Column]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return lhs.withUnsafeBufferPointer { left in
            rhs.withUnsafeBufferPointer { right in
                for index in left.indices where !(left[index] == right[index]) { return false }
                return true
            }
        }
    }

    public static func == (lhs: Column, rhs: Column) -> Bool {
        lhs.name == rhs.name && lhs.type == rhs.type && lhs.nullable == rhs.nullable && lhs.comment == rhs.comment
            && (lhs.rare === rhs.rare || (lhs.renamedFrom == rhs.renamedFrom && lhs.tags == rhs.tags && lhs.mask == rhs.mask))
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(type)
        hasher.combine(nullable)
        hasher.combine(comment)
        hasher.combine(renamedFrom)
        hasher.combine(tags)
        hasher.combine(mask)
    }
}

/// Table properties that Delta defines, and the protocol each one needs.
public enum DeltaProperties {
    /// Known `delta.*` keys. Others are refused, since a misspelt key is silently ignored by Delta.
    public static let known: Set<String> = [
        "delta.appendOnly", "delta.autoOptimize.autoCompact", "delta.autoOptimize.optimizeWrite",
        "delta.checkpointInterval", "delta.checkpoint.writeStatsAsJson", "delta.checkpoint.writeStatsAsStruct",
        "delta.compatibility.symlinkFormatManifest.enabled", "delta.dataSkippingNumIndexedCols",
        "delta.dataSkippingStatsColumns", "delta.deletedFileRetentionDuration", "delta.enableChangeDataFeed",
        "delta.enableExpiredLogCleanup", "delta.isolationLevel", "delta.logRetentionDuration",
        "delta.randomizeFilePrefixes", "delta.randomPrefixLength", "delta.setTransactionRetentionDuration",
        "delta.targetFileSize", "delta.tuneFileSizesForRewrites", "delta.parquet.compression.codec",
        "delta.enableDeletionVectors", "delta.columnMapping.mode", "delta.enableRowTracking",
        "delta.enableTypeWidening", "delta.minReaderVersion", "delta.minWriterVersion",
    ]

    /// Keys that need table features (reader 3 / writer 7) this target does not write yet.
    public static let needsTableFeatures: Set<String> = [
        "delta.enableDeletionVectors", "delta.enableRowTracking", "delta.minReaderVersion", "delta.minWriterVersion",
    ]

    /// Properties the table's own evolution sets (a rename or drop enables column
    /// mapping, a widening enables type widening): a table that has them while its
    /// manifest is silent about them does not differ from it. None can be turned off.
    public static let setByEvolution: Set<String> = [
        "delta.columnMapping.mode", "delta.columnMapping.maxColumnId", "delta.enableTypeWidening",
    ]

    public static let columnMapping = "delta.columnMapping.mode"
    public static let typeWidening = "delta.enableTypeWidening"

    /// Property keys, values of which are booleans.
    public static let booleans: Set<String> = [
        "delta.appendOnly", "delta.autoOptimize.autoCompact", "delta.autoOptimize.optimizeWrite",
        "delta.checkpoint.writeStatsAsJson", "delta.checkpoint.writeStatsAsStruct",
        "delta.compatibility.symlinkFormatManifest.enabled", "delta.enableChangeDataFeed",
        "delta.enableExpiredLogCleanup", "delta.randomizeFilePrefixes", "delta.tuneFileSizesForRewrites",
        "delta.enableTypeWidening",
    ]
}

/// Unity Catalog's rules for tags: at most 50 on an object, keys of 1 to 255
/// characters without `. , - = / :` or surrounding spaces, values of at most 1,000.
public enum TagRules {
    public static let maxTags = 50
    public static let forbidden: Set<Character> = [".", ",", "-", "=", "/", ":"]

    /// Why `key` cannot be a tag key, or nil.
    public static func keyProblem(_ key: String) -> String? {
        if key.isEmpty || key.count > 255 { return "a tag key is 1 to 255 characters" }
        if key != key.trimmingCharacters(in: .whitespaces) { return "a tag key cannot start or end with a space" }
        if let bad = key.first(where: { forbidden.contains($0) || $0.isNewline }) { return "a tag key cannot contain \"\(bad)\" (Unity Catalog refuses . , - = / :)" }
        return nil
    }

    public static func valueProblem(_ value: String) -> String? {
        value.count > 1000 ? "a tag value is at most 1,000 characters, not \(value.count)" : nil
    }
}
