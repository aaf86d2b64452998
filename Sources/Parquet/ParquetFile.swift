import Foundation
import Model

/// A Parquet file read whole into memory: its footer, and its rows as values
/// (a record per row, lists as arrays, maps as objects). Built for Delta
/// checkpoints and data checks, not for scanning large tables: a file over
/// `maxSize` is refused.
public struct ParquetFile {
    public static let maxSize = 1 << 30

    let bytes: [UInt8]
    let metadata: FileMetadata

    public init(bytes: [UInt8]) throws(ParquetError) {
        guard bytes.count >= 12, bytes.prefix(4).elementsEqual(Array("PAR1".utf8)), bytes.suffix(4).elementsEqual(Array("PAR1".utf8)) else {
            throw ParquetError("not a Parquet file (no PAR1 magic at both ends)")
        }
        guard bytes.count <= Self.maxSize else { throw ParquetError("\(bytes.count) bytes is more than reconcile reads from one Parquet file") }
        let length = Int(ColumnReader.little(bytes[(bytes.count - 8)..<(bytes.count - 4)]))
        guard length > 0, length <= bytes.count - 12 else { throw ParquetError("the footer length \(length) does not fit the file") }
        var offset = bytes.count - 8 - length
        do {
            metadata = try FileMetadata(Thrift.readStruct(bytes, at: &offset))
        } catch let error as ParquetError {
            throw error
        } catch {
            throw ParquetError("the footer is malformed: \((error as? Thrift.Malformed)?.message ?? "\(error)")")
        }
        self.bytes = bytes
    }

    public init(contentsOf path: String) throws(ParquetError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw ParquetError("cannot read it") }
        try self.init(bytes: Array(data))
    }

    public var rowCount: Int { metadata.rowCount }

    /// The names of the top-level columns.
    public var columns: [String] { metadata.schema.children.map(\.name) }

    /// Every row, with only the top-level columns named (all when nil).
    public func rows(columns wanted: Set<String>? = nil) throws(ParquetError) -> [[String: Value]] {
        let selected = metadata.schema.children.filter { wanted?.contains($0.name) ?? true }
        var result: [[String: Value]] = []
        for group in metadata.rowGroups {
            var assembler = Assembler()
            for node in selected {
                for leaf in node.leaves {
                    guard let chunk = group.first(where: { $0.path == leaf.path }) else {
                        throw ParquetError("column \(leaf.path.joined(separator: ".")) is missing from a row group")
                    }
                    try assembler.add(leaf, ColumnReader(bytes: bytes, leaf: leaf, chunk: chunk).read())
                }
            }
            let count = selected.first.map(assembler.rowCount) ?? 0
            for row in 0..<count {
                var record: [String: Value] = [:]
                for node in selected { record[node.name] = try assembler.value(node, row: row) }
                result.append(record)
            }
        }
        return result
    }
}
