import Foundation
import Model
import Parquet
import SparkTypes

/// Checks a table's existing rows for what a NOT NULL or CHECK change requires:
/// each data file by its statistics when they decide it, else by reading the
/// columns the check needs from the file. Bounded by the bytes it may read.
struct DataChecker {
    static let maxBytesRead = 2 << 30

    struct ColumnInfo {
        var physical: String
        var type: DataType
        var partition: Bool
    }

    let tableDirectory: URL
    let snapshot: DeltaSnapshot
    /// By lowercased logical name.
    let columns: [String: ColumnInfo]
    private var bytesRead = 0

    init(tableDirectory: URL, snapshot: DeltaSnapshot, id: ResourceID) throws(TargetError) {
        self.tableDirectory = tableDirectory
        self.snapshot = snapshot
        let fields = try DeltaSchema.fields(of: snapshot.schemaString, id: id)
        let partitions = Set(snapshot.partitionColumns.map { $0.lowercased() })
        var columns: [String: ColumnInfo] = [:]
        for column in snapshot.columns {
            let field = DeltaSchema.field(named: column.name, in: fields)
            let physical = (field?["metadata"] as? [String: Any])?[DeltaSchema.physicalNameKey] as? String ?? column.name
            columns[column.name.lowercased()] = ColumnInfo(physical: physical, type: column.type, partition: partitions.contains(column.name.lowercased()))
        }
        self.columns = columns
    }

    var files: [(path: String, facts: DeltaSnapshot.FileFacts)] {
        snapshot.fileFacts.keys.sorted().map { ($0, snapshot.fileFacts[$0]!) }
    }

    mutating func evidence(_ check: DataCheck) -> DataEvidence {
        do throws(CheckExpression.Unsupported) {
            switch check {
            case .notNull(let column): return try notNull(column)
            case .constraint(_, let text): return try constraint(CheckParser.parse(text))
            }
        } catch {
            return DataEvidence(.unverifiable(error.reason))
        }
    }

    // MARK: NOT NULL

    private mutating func notNull(_ name: String) throws(CheckExpression.Unsupported) -> DataEvidence {
        guard let column = columns[name.lowercased()] else { throw CheckExpression.Unsupported(reason: "the table has no column \(name)") }
        var evidence = DataEvidence(.holds)
        for (path, facts) in files {
            evidence.files += 1
            let stats = Self.stats(facts)
            var nulls: Int
            if column.partition {
                evidence.fromStatistics += 1  // the log's partition values decide it
                guard facts.partitionValues[column.physical] ?? nil == nil else { continue }
                if let records = stats?["numRecords"] as? Int { nulls = records } else { nulls = try readRows(path, columns: []).count }
            } else if let count = (stats?["nullCount"] as? [String: Any])?[column.physical] as? Int {
                evidence.fromStatistics += 1
                nulls = count
            } else {
                nulls = try readRows(path, columns: [column.physical]).filter { ($0[column.physical] ?? .null) == .null }.count
            }
            if nulls > 0 {
                evidence.failingRows += nulls
                evidence.failingFiles += 1
            }
        }
        if evidence.failingRows > 0 { evidence.verdict = .violated }
        return evidence
    }

    // MARK: CHECK

    private mutating func constraint(_ expression: CheckExpression) throws(CheckExpression.Unsupported) -> DataEvidence {
        var used: [(logical: String, info: ColumnInfo)] = []
        for name in expression.columns.sorted() {
            guard let info = columns[name] else { throw CheckExpression.Unsupported(reason: "the expression names \(name), which the table does not have") }
            switch info.type {
            case .timestamp, .timestampNTZ, .binary, .array, .map, .struct:
                throw CheckExpression.Unsupported(reason: "the checker does not compare \(info.type) columns (\(name))")
            default: used.append((name, info))
            }
        }
        var evidence = DataEvidence(.holds)
        for (path, facts) in files {
            evidence.files += 1
            if let stats = Self.stats(facts), Self.proves(expression, stats: stats, columns: columns) {
                evidence.fromStatistics += 1
                continue
            }
            let data = used.filter { !$0.info.partition }
            let rows = try readRows(path, columns: Set(data.map(\.info.physical)))
            var failing = 0
            for raw in rows {
                var row: [String: Value] = [:]
                for (logical, info) in used {
                    row[logical] = info.partition
                        ? Self.partitionValue(facts.partitionValues[info.physical] ?? nil, info.type)
                        : Self.normalized(raw[info.physical] ?? .null, info.type)
                }
                if expression.holds(row) != true { failing += 1 }
            }
            if failing > 0 {
                evidence.failingRows += failing
                evidence.failingFiles += 1
            }
        }
        if evidence.failingRows > 0 { evidence.verdict = .violated }
        return evidence
    }

    /// Whether a file's statistics prove every row satisfies `expression` (never
    /// whether one fails: for that the rows are read and counted).
    static func proves(_ expression: CheckExpression, stats: [String: Any], columns: [String: ColumnInfo]) -> Bool {
        func bound(_ name: String, _ key: String) -> Value? {
            guard let info = columns[name.lowercased()], !info.partition,
                  ((stats["nullCount"] as? [String: Any])?[info.physical] as? Int) == 0,
                  let raw = (stats[key] as? [String: Any])?[info.physical] else { return nil }
            switch raw {
            case let number as Int: return .int(number)
            case let number as Double: return .double(number)
            // Writers truncate long text statistics: only short ones are exact bounds.
            case let text as String where text.count < 32: return .string(text)
            default: return nil
            }
        }
        switch expression {
        case .and(let a, let b): return proves(a, stats: stats, columns: columns) && proves(b, stats: stats, columns: columns)
        case .or(let a, let b): return proves(a, stats: stats, columns: columns) || proves(b, stats: stats, columns: columns)
        case .isNull(.column(let name), negated: true):
            guard let info = columns[name.lowercased()], !info.partition else { return false }
            return ((stats["nullCount"] as? [String: Any])?[info.physical] as? Int) == 0
        case .compare(let op, .column(let name), .literal(let value)):
            guard let low = bound(name, "minValues"), let high = bound(name, "maxValues") else { return false }
            switch op {
            case .greater, .greaterOrEqual: return CheckExpression.compare(op, low, value) == true
            case .less, .lessOrEqual: return CheckExpression.compare(op, high, value) == true
            case .equal: return CheckExpression.compare(.equal, low, value) == true && CheckExpression.compare(.equal, high, value) == true
            case .notEqual: return CheckExpression.compare(.less, high, value) == true || CheckExpression.compare(.greater, low, value) == true
            }
        case .compare(let op, .literal(let value), .column(let name)):
            let flipped: [CheckExpression.Comparison: CheckExpression.Comparison] = [.less: .greater, .lessOrEqual: .greaterOrEqual, .greater: .less, .greaterOrEqual: .lessOrEqual]
            return proves(.compare(flipped[op] ?? op, .column(name), .literal(value)), stats: stats, columns: columns)
        case .between(let column, let low, let high, negated: false):
            return proves(.and(.compare(.greaterOrEqual, column, low), .compare(.lessOrEqual, column, high)), stats: stats, columns: columns)
        default:
            return false
        }
    }

    // MARK: Files and values

    static func stats(_ facts: DeltaSnapshot.FileFacts) -> [String: Any]? {
        guard let text = facts.stats else { return nil }
        return (try? JSONReader.parse(text)) as? [String: Any]
    }

    /// The rows of a data file with only `columns` (physical names); all its rows, without values, when none.
    private mutating func readRows(_ path: String, columns: Set<String>) throws(CheckExpression.Unsupported) -> [[String: Value]] {
        let decoded = path.removingPercentEncoding ?? path
        let url = decoded.hasPrefix("file://") ? URL(fileURLWithPath: String(decoded.dropFirst(7))) : tableDirectory.appendingPathComponent(decoded)
        var info = stat()
        guard stat(url.path, &info) == 0 else { throw CheckExpression.Unsupported(reason: "the data file \(decoded) cannot be read: \(String(cString: strerror(errno)))") }
        bytesRead += Int(info.st_size)
        guard bytesRead <= Self.maxBytesRead else {
            throw CheckExpression.Unsupported(reason: "checking would read more than \(Self.maxBytesRead >> 30) GiB of data files")
        }
        do {
            let file = try ParquetFile(contentsOf: url.path)
            if columns.isEmpty { return Array(repeating: [:], count: file.rowCount) }
            return try file.rows(columns: columns)
        } catch {
            throw CheckExpression.Unsupported(reason: "the data file \(decoded) cannot be read: \(error.message)")
        }
    }

    /// A Parquet value as the expression compares it: dates as ISO text, like their statistics.
    static func normalized(_ value: Value, _ type: DataType) -> Value {
        guard type == .date, case .int(let days) = value else { return value }
        let date = Date(timeIntervalSince1970: Double(days) * 86_400)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return .string(String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0))
    }

    /// A partition value (text in the log) as the column's type.
    static func partitionValue(_ text: String?, _ type: DataType) -> Value {
        guard let text else { return .null }
        switch type {
        case .byte, .short, .integer, .long: return Int(text).map(Value.int) ?? .null
        case .float, .double, .decimal: return Double(text).map(Value.double) ?? .null
        case .boolean: return text.lowercased() == "true" ? .bool(true) : text.lowercased() == "false" ? .bool(false) : .null
        default: return .string(text)
        }
    }
}
