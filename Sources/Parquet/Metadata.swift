/// A Parquet file's footer: its schema as a tree, and where each column chunk is.
struct FileMetadata {
    var schema: SchemaNode
    var rowCount: Int
    var rowGroups: [[ColumnChunk]]

    init(_ thrift: Thrift.Value) throws(ParquetError) {
        let elements = thrift[2]?.list ?? []
        var index = 0
        guard !elements.isEmpty else { throw ParquetError("the footer has no schema") }
        schema = try SchemaNode.tree(elements, at: &index, depth: 0, repetitionLevel: 0, definitionLevel: 0, path: [])
        rowCount = thrift[3]?.int ?? 0
        rowGroups = try (thrift[4]?.list ?? []).map { (group: Thrift.Value) throws(ParquetError) -> [ColumnChunk] in
            try (group[1]?.list ?? []).map { (chunk: Thrift.Value) throws(ParquetError) -> ColumnChunk in try ColumnChunk(chunk) }
        }
    }
}

/// The physical types.
enum PhysicalType: Int {
    case boolean = 0, int32, int64, int96, float, double, byteArray, fixedLenByteArray
}

/// One node of the schema: a group (with children) or a leaf column, with the
/// repetition and definition levels its values carry.
final class SchemaNode {
    enum Repetition: Int { case required = 0, optional, repeated }
    /// What a group or a leaf means beyond its physical shape.
    enum Annotation { case none, string, list, map, decimal(scale: Int), date, timestamp }

    let name: String
    let repetition: Repetition
    let physical: PhysicalType?
    let typeLength: Int
    let annotation: Annotation
    let children: [SchemaNode]
    /// The highest repetition and definition levels a value at this node can have.
    let maxRepetition: Int
    let maxDefinition: Int
    /// The names from the root's child down to this node.
    let path: [String]

    init(name: String, repetition: Repetition, physical: PhysicalType?, typeLength: Int, annotation: Annotation, children: [SchemaNode],
         maxRepetition: Int, maxDefinition: Int, path: [String]) {
        self.name = name
        self.repetition = repetition
        self.physical = physical
        self.typeLength = typeLength
        self.annotation = annotation
        self.children = children
        self.maxRepetition = maxRepetition
        self.maxDefinition = maxDefinition
        self.path = path
    }

    var isLeaf: Bool { children.isEmpty && physical != nil }

    /// The leaves under this node, in file order.
    var leaves: [SchemaNode] { isLeaf ? [self] : children.flatMap(\.leaves) }

    /// The depth-first list of schema elements from `index` as a tree.
    static func tree(_ elements: [Thrift.Value], at index: inout Int, depth: Int, repetitionLevel: Int, definitionLevel: Int,
                     path: [String]) throws(ParquetError) -> SchemaNode {
        guard depth <= 64 else { throw ParquetError("the schema nests more than 64 levels deep") }
        guard index < elements.count else { throw ParquetError("the schema lists fewer elements than its groups say") }
        let element = elements[index]
        index += 1
        let name = element[4]?.string ?? ""
        // The root has no repetition; it is required.
        let repetition = depth == 0 ? .required : Repetition(rawValue: element[3]?.int ?? 0) ?? .required
        let levels = (repetitionLevel + (repetition == .repeated ? 1 : 0), definitionLevel + (repetition == .required ? 0 : 1))
        let nodePath = depth == 0 ? [] : path + [name]
        let childCount = element[5]?.int ?? 0
        guard childCount >= 0, childCount <= elements.count - index else { throw ParquetError("schema element \(name) has \(childCount) children, more than the schema holds") }
        var children: [SchemaNode] = []
        for _ in 0..<childCount {
            children.append(try tree(elements, at: &index, depth: depth + 1, repetitionLevel: levels.0, definitionLevel: levels.1, path: nodePath))
        }
        let physical = childCount == 0 ? element[1]?.int.flatMap(PhysicalType.init(rawValue:)) : nil
        if childCount == 0 && physical == nil && depth > 0 { throw ParquetError("schema element \(name) has neither children nor a known type") }
        return SchemaNode(name: name, repetition: repetition, physical: physical, typeLength: element[2]?.int ?? 0,
                          annotation: annotation(element), children: children, maxRepetition: levels.0, maxDefinition: levels.1, path: nodePath)
    }

    /// The logical type (field 10) when present, else the legacy converted type (field 6).
    static func annotation(_ element: Thrift.Value) -> Annotation {
        if let logical = element[10] {
            if logical[1] != nil { return .string }
            if logical[2] != nil { return .map }
            if logical[3] != nil { return .list }
            if let decimal = logical[5] { return .decimal(scale: decimal[1]?.int ?? 0) }
            if logical[6] != nil { return .date }
            if logical[8] != nil { return .timestamp }
        }
        switch element[6]?.int {
        case 0?: return .string
        case 1?, 2?: return .map
        case 3?: return .list
        case 5?: return .decimal(scale: element[7]?.int ?? 0)
        case 6?: return .date
        case 9?, 10?: return .timestamp
        default: return .none
        }
    }
}

/// Where one column's values are in the file, and how they are compressed.
struct ColumnChunk {
    var path: [String]
    var codec: Int
    var valueCount: Int
    var firstPage: Int
    var compressedSize: Int

    init(_ chunk: Thrift.Value) throws(ParquetError) {
        guard let meta = chunk[3] else { throw ParquetError("a column chunk has no metadata (columns in other files are not read)") }
        path = meta[3]?.list.compactMap(\.string) ?? []
        codec = meta[4]?.int ?? 0
        valueCount = meta[5]?.int ?? 0
        compressedSize = meta[7]?.int ?? 0
        let data = meta[9]?.int ?? 0
        // A dictionary page, when there is one, comes first (some writers leave its offset 0).
        if let dictionary = meta[11]?.int, dictionary > 0, dictionary < data { firstPage = dictionary } else { firstPage = data }
    }
}

/// Why a Parquet file cannot be read; the caller names the file.
public struct ParquetError: Error, Sendable, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
