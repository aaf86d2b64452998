import Foundation
import Testing
import Model
import TestSupport
@testable import Parquet

/// The Parquet reader against files pyarrow writes: every codec (none, snappy, gzip,
/// zstd), PLAIN and dictionary pages, v1 and v2 data pages, small pages and several
/// row groups, nulls at every level, lists, maps, structs and lists of structs.
@Suite struct ParquetReaderTests {
    static let fixtures: URL = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reconcile-parquet-\(ProcessInfo.processInfo.processIdentifier)")
        let script = Paths.packageRoot.appendingPathComponent("Tests/TestSupport/parquet_fixtures.py").path
        let result = try? Shell.run(Paths.python, [script, directory.path])
        precondition(result?.code == 0, "parquet_fixtures.py failed: \(result?.output ?? "not run")")
        return directory
    }()

    static let cases = ["plain-uncompressed", "dictionary-snappy", "plain-gzip", "dictionary-zstd", "v2-pages-zstd",
                        "v2-pages-plain-snappy", "small-pages-row-groups"]

    @Test(arguments: cases) func readsWhatPyarrowWrote(_ name: String) throws {
        let file = try ParquetFile(contentsOf: Self.fixtures.appendingPathComponent(name + ".parquet").path)
        let expected = try JSONDecoder().decode([String: [[String: Value]]].self,
                                                from: Data(contentsOf: Self.fixtures.appendingPathComponent(name + ".json")))["rows"] ?? []
        let rows = try file.rows()
        #expect(file.rowCount == 300)
        #expect(rows.count == expected.count)
        for (index, (row, wanted)) in zip(rows, expected).enumerated() {
            for column in wanted.keys.sorted() where row[column] != wanted[column] {
                Issue.record("\(name) row \(index) column \(column): read \(String(describing: row[column])), pyarrow \(String(describing: wanted[column]))")
            }
        }
    }

    @Test func selectedColumnsOnly() throws {
        let file = try ParquetFile(contentsOf: Self.fixtures.appendingPathComponent("dictionary-snappy.parquet").path)
        let rows = try file.rows(columns: ["id", "attrs"])
        #expect(rows.first.map { Set($0.keys) } == ["id", "attrs"])
        #expect(rows[1]["attrs"] == .object(["k0": "v1"]))
        let all = try file.rows()
        #expect(all[2]["items"] == .array([.object(["sku": "s0", "qty": 0]), .object(["sku": "s1", "qty": 1])]))
        #expect(all[1]["numbers"] == .array([.null]), "a null inside a list")
        #expect(all[0]["tags"] == .null && all[4]["tags"] == .array([]), "a null list and an empty one differ")
        #expect(all[2]["price"] == .double(2.25))
    }

    @Test func hostileRunHeadersAreErrorsNotOverflowsOrHangs() throws {
        // A bit-packed header claiming 2^61 groups: the count of values once overflowed.
        var cursor = 0
        let huge: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x01]
        #expect(throws: ParquetError.self) { try Hybrid.decode(huge, at: &cursor, end: huge.count, count: 10, width: 3) }
        // Width 0 (a one-entry dictionary): one group gives the values wanted; a header
        // claiming 32,767 groups of nothing is refused rather than looped over.
        cursor = 0
        #expect(try Hybrid.decode([0x03], at: &cursor, end: 1, count: 5, width: 0) == [0, 0, 0, 0, 0])
        cursor = 0
        #expect(throws: ParquetError.self) { try Hybrid.decode([0xFF, 0xFF, 0x03], at: &cursor, end: 3, count: 5, width: 0) }
        cursor = 0
        #expect(throws: ParquetError.self) { try Hybrid.decode([0x03], at: &cursor, end: 1, count: 1, width: 33) }
    }

    @Test func damagedFilesAreErrorsNotCrashes() throws {
        let good = try Array(Data(contentsOf: Self.fixtures.appendingPathComponent("dictionary-zstd.parquet")))
        #expect(throws: ParquetError.self) { try ParquetFile(bytes: Array("PAR1 nothing here PAR1".utf8)) }
        #expect(throws: ParquetError.self) { try ParquetFile(bytes: Array(good.prefix(good.count / 2)) + Array("PAR1".utf8)) }
        // Bytes damaged at random (a fixed seed, so a failure reproduces), and every byte
        // of the footer (sampled) set to extremes: an error or rows, never a crash or a hang.
        var generator = SeededGenerator(seed: 0x5EED_2026)
        for _ in 0..<300 {
            var damaged = good
            let position = Int.random(in: 4..<(damaged.count - 4), using: &generator)
            damaged[position] ^= UInt8.random(in: 1...255, using: &generator)
            if let file = try? ParquetFile(bytes: damaged) { _ = try? file.rows() }
        }
        let footer = Int(ColumnReader.little(good[(good.count - 8)..<(good.count - 4)]))
        let start = good.count - 8 - footer, stride = max(1, footer / 80)
        for position in Swift.stride(from: start, to: good.count - 8, by: stride) {
            for value: UInt8 in [0x00, 0x7F, 0xFF] {
                var damaged = good
                damaged[position] = value
                if let file = try? ParquetFile(bytes: damaged) { _ = try? file.rows() }
            }
        }
    }
}

/// xorshift64*: reproducible damage.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 2685821657736338717
    }
}
