import CCompression
import Foundation
import Model

/// One column chunk decoded: each slot's repetition and definition level, and the
/// values of the slots that are defined (definition level at its maximum).
struct ColumnData {
    var repetition: [Int] = []
    var definition: [Int] = []
    var values: [Value] = []
}

/// Reads a column chunk's pages: dictionary, then data pages (v1 and v2), each
/// decompressed (snappy, gzip, zstd) and decoded (PLAIN, RLE/bit-packed levels,
/// dictionary indices). Any size a page claims is checked against what is there.
struct ColumnReader {
    /// No page is inflated past this, whatever its header says.
    static let maxPageSize = 256 << 20
    /// Nor does a page or a column chunk hold more values than this.
    static let maxValues = 16 << 20

    let bytes: [UInt8]
    let leaf: SchemaNode
    let chunk: ColumnChunk

    func read() throws(ParquetError) -> ColumnData {
        var data = ColumnData()
        var dictionary: [Value] = []
        guard (0..<bytes.count).contains(chunk.firstPage), chunk.valueCount <= Self.maxValues else {
            throw ParquetError("column \(leaf.path.joined(separator: ".")): its chunk starts at byte \(chunk.firstPage) with \(chunk.valueCount) values, outside the file or past what reconcile reads")
        }
        var offset = chunk.firstPage
        let end = chunk.firstPage + min(bytes.count - chunk.firstPage, max(chunk.compressedSize, 0))
        while data.definition.count < chunk.valueCount && offset < end {
            let header: Thrift.Value
            do { header = try Thrift.readStruct(bytes, at: &offset) } catch {
                throw ParquetError("column \(leaf.path.joined(separator: ".")): a page header is malformed: \(error.message)")
            }
            let compressed = header[3]?.int ?? -1
            let uncompressed = header[2]?.int ?? -1
            guard compressed >= 0, compressed <= bytes.count - offset, (0...Self.maxPageSize).contains(uncompressed) else {
                throw ParquetError("column \(leaf.path.joined(separator: ".")): a page claims \(compressed) bytes (\(uncompressed) uncompressed), more than the file holds or reconcile reads")
            }
            let body = Array(bytes[offset..<offset + compressed])
            offset += compressed
            switch header[1]?.int {
            case 2?:
                let page = try decompress(body, size: uncompressed)
                var cursor = 0
                dictionary = try plain(page, at: &cursor, count: try Self.valueCount(header[7]?[1]?.int ?? 0, leaf))
            case 0?:
                guard let info = header[5] else { throw ParquetError("a data page has no header") }
                let page = try decompress(body, size: uncompressed)
                var cursor = 0
                let count = try Self.valueCount(info[1]?.int, leaf)
                let repetition = leaf.maxRepetition > 0 ? try levels(page, at: &cursor, count: count, max: leaf.maxRepetition, prefixed: nil) : Array(repeating: 0, count: count)
                let definition = leaf.maxDefinition > 0 ? try levels(page, at: &cursor, count: count, max: leaf.maxDefinition, prefixed: nil) : Array(repeating: 0, count: count)
                try append(page, at: cursor, encoding: info[2]?.int ?? 0, repetition: repetition, definition: definition, dictionary: dictionary, into: &data)
            case 3?:
                guard let info = header[8] else { throw ParquetError("a v2 data page has no header") }
                let count = try Self.valueCount(info[1]?.int, leaf)
                let repetitionLength = info[6]?.int ?? 0, definitionLength = info[5]?.int ?? 0
                guard repetitionLength >= 0, definitionLength >= 0, repetitionLength + definitionLength <= body.count else {
                    throw ParquetError("a v2 data page's level lengths exceed the page")
                }
                var cursor = 0
                let repetition = leaf.maxRepetition > 0 ? try levels(body, at: &cursor, count: count, max: leaf.maxRepetition, prefixed: repetitionLength) : Array(repeating: 0, count: count)
                cursor = repetitionLength
                let definition = leaf.maxDefinition > 0 ? try levels(body, at: &cursor, count: count, max: leaf.maxDefinition, prefixed: definitionLength) : Array(repeating: 0, count: count)
                let rest = Array(body[(repetitionLength + definitionLength)...])
                let values = info[7]?.bool == false ? rest : try decompress(rest, size: uncompressed - repetitionLength - definitionLength)
                try append(values, at: 0, encoding: info[4]?.int ?? 0, repetition: repetition, definition: definition, dictionary: dictionary, into: &data)
            default:
                continue  // an index page: nothing to read
            }
        }
        return data
    }

    /// A page's value count, bounded.
    static func valueCount(_ claimed: Int?, _ leaf: SchemaNode) throws(ParquetError) -> Int {
        guard let claimed, (0...maxValues).contains(claimed) else {
            throw ParquetError("column \(leaf.path.joined(separator: ".")): a page claims \(claimed ?? -1) values, more than reconcile reads (\(maxValues))")
        }
        return claimed
    }

    /// A data page's values appended after its levels.
    private func append(_ page: [UInt8], at start: Int, encoding: Int, repetition: [Int], definition: [Int], dictionary: [Value],
                        into data: inout ColumnData) throws(ParquetError) {
        let present = definition.filter { $0 == leaf.maxDefinition }.count
        var cursor = start
        switch encoding {
        case 0:
            data.values += try plain(page, at: &cursor, count: present)
        case 2, 8:
            guard cursor < page.count || present == 0 else { throw ParquetError("a dictionary-encoded page has no bit width") }
            if present > 0 {
                let width = Int(page[cursor])
                cursor += 1
                let indices = try Hybrid.decode(page, at: &cursor, end: page.count, count: present, width: width)
                for index in indices {
                    guard index < dictionary.count else { throw ParquetError("a dictionary index \(index) is past the dictionary's \(dictionary.count) entries") }
                    data.values.append(dictionary[index])
                }
            }
        case 3 where leaf.physical == .boolean:
            data.values += try levels(page, at: &cursor, count: present, max: 1, prefixed: nil).map { .bool($0 == 1) }
        default:
            throw ParquetError("column \(leaf.path.joined(separator: ".")) uses encoding \(encoding), which this reader does not decode (PLAIN, dictionary and RLE booleans are read)")
        }
        data.repetition += repetition
        data.definition += definition
    }

    /// RLE/bit-packed levels, after a 4-byte length (v1) or with the given length (v2).
    private func levels(_ page: [UInt8], at cursor: inout Int, count: Int, max: Int, prefixed length: Int?) throws(ParquetError) -> [Int] {
        var size = length ?? 0
        if length == nil {
            guard cursor + 4 <= page.count else { throw ParquetError("a page ends before its levels") }
            size = Int(page[cursor]) | Int(page[cursor + 1]) << 8 | Int(page[cursor + 2]) << 16 | Int(page[cursor + 3]) << 24
            cursor += 4
        }
        guard size >= 0, size <= page.count - cursor else { throw ParquetError("a page's levels run past its end") }
        let width = Int.bitWidth - max.leadingZeroBitCount
        var start = cursor
        let result = try Hybrid.decode(page, at: &start, end: cursor + size, count: count, width: width)
        cursor += size
        return result
    }

    /// PLAIN values of the leaf's physical type.
    private func plain(_ page: [UInt8], at cursor: inout Int, count: Int) throws(ParquetError) -> [Value] {
        var values: [Value] = []
        values.reserveCapacity(count)
        func fixed(_ size: Int) throws(ParquetError) -> ArraySlice<UInt8> {
            guard size >= 0, size <= page.count - cursor else { throw ParquetError("column \(leaf.path.joined(separator: ".")): values run past the page") }
            defer { cursor += size }
            return page[cursor..<cursor + size]
        }
        for index in 0..<count {
            switch leaf.physical {
            case .boolean?:
                guard cursor + index / 8 < page.count else { throw ParquetError("booleans run past the page") }
                values.append(.bool(page[cursor + index / 8] >> (index % 8) & 1 == 1))
            case .int32?: values.append(convert(Int(Int32(truncatingIfNeeded: Self.little(try fixed(4))))))
            case .int64?: values.append(convert(Int(Int64(bitPattern: Self.little(try fixed(8))))))
            case .int96?: _ = try fixed(12); values.append(.null)
            case .float?: values.append(.double(Double(Float(bitPattern: UInt32(truncatingIfNeeded: Self.little(try fixed(4)))))))
            case .double?: values.append(.double(Double(bitPattern: Self.little(try fixed(8)))))
            case .byteArray?:
                let length = Int(Self.little(try fixed(4)))
                values.append(bytesValue(try fixed(length)))
            case .fixedLenByteArray?: values.append(bytesValue(try fixed(leaf.typeLength)))
            case nil: throw ParquetError("a group has no values")
            }
        }
        if leaf.physical == .boolean { cursor += (count + 7) / 8 }
        return values
    }

    private func convert(_ number: Int) -> Value {
        if case .decimal(let scale) = leaf.annotation, scale > 0 { return .double(Double(number) / pow(10, Double(scale))) }
        return .int(number)
    }

    private func bytesValue(_ bytes: ArraySlice<UInt8>) -> Value {
        if case .decimal = leaf.annotation, bytes.count <= 8 {
            // Big-endian two's complement.
            var number: Int64 = bytes.first.map { $0 & 0x80 != 0 ? -1 : 0 } ?? 0
            for byte in bytes { number = number << 8 | Int64(byte) }
            return convert(Int(number))
        }
        return .string(String(decoding: bytes, as: UTF8.self))
    }

    static func little(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var result: UInt64 = 0
        for (shift, byte) in bytes.enumerated() { result |= UInt64(byte) << (8 * UInt64(shift)) }
        return result
    }

    /// The page's bytes as written before compression.
    private func decompress(_ body: [UInt8], size: Int) throws(ParquetError) -> [UInt8] {
        guard size >= 0 else { throw ParquetError("a page has a negative size") }
        switch chunk.codec {
        case 0: return body
        case 1: return try Codecs.snappy(body, size: size)
        case 2: return try Codecs.gzip(body, size: size)
        case 6: return try Codecs.zstd(body, size: size)
        default:
            let names = [3: "LZO", 4: "BROTLI", 5: "LZ4", 7: "LZ4_RAW"]
            throw ParquetError("column \(leaf.path.joined(separator: ".")) is compressed with \(names[chunk.codec] ?? "codec \(chunk.codec)"), which this reader does not decompress (snappy, gzip and zstd are read)")
        }
    }
}

/// The RLE / bit-packed hybrid encoding of levels and dictionary indices.
enum Hybrid {
    static func decode(_ bytes: [UInt8], at cursor: inout Int, end: Int, count: Int, width: Int) throws(ParquetError) -> [Int] {
        guard (0...32).contains(width) else { throw ParquetError("a bit width of \(width) is out of range") }
        var result: [Int] = []
        result.reserveCapacity(count)
        while result.count < count {
            guard cursor < end else { throw ParquetError("levels or indices end after \(result.count) of \(count)") }
            var header = 0, shift = 0
            while true {
                guard cursor < end, shift < 63 else { throw ParquetError("a run header is malformed") }
                let byte = bytes[cursor]
                cursor += 1
                header |= Int(byte & 0x7F) << shift
                shift += 7
                if byte & 0x80 == 0 { break }
            }
            if header & 1 == 0 {
                let run = header >> 1
                let size = (width + 7) / 8
                guard size <= end - cursor else { throw ParquetError("a run's value runs past the end") }
                var value = 0
                for index in 0..<size { value |= Int(bytes[cursor + index]) << (8 * index) }
                cursor += size
                result += repeatElement(value, count: min(run, count - result.count))
            } else {
                // Groups of eight; a damaged header cannot make the arithmetic overflow or
                // the loop outrun the values still wanted.
                let groups = header >> 1
                guard groups <= end - cursor + count else { throw ParquetError("a bit-packed run claims more values than the page holds") }
                let values = groups * 8
                let size = (values * width + 7) / 8
                guard size <= end - cursor else { throw ParquetError("bit-packed values run past the end") }
                var bit = 0
                for _ in 0..<min(values, count - result.count) {
                    var value = 0
                    for index in 0..<width {
                        let position = bit + index
                        value |= Int(bytes[cursor + position / 8] >> (position % 8) & 1) << index
                    }
                    bit += width
                    result.append(value)
                }
                cursor += size
            }
        }
        return result
    }
}

/// The codecs, through Debian's libsnappy, zlib and libzstd.
enum Codecs {
    static func snappy(_ input: [UInt8], size: Int) throws(ParquetError) -> [UInt8] {
        var length = 0
        let known = input.withUnsafeBufferPointer { buffer in
            buffer.baseAddress.map { $0.withMemoryRebound(to: CChar.self, capacity: input.count) { snappy_uncompressed_length($0, input.count, &length) } } ?? SNAPPY_INVALID_INPUT
        }
        guard input.isEmpty || known == SNAPPY_OK, length == size else { throw ParquetError("a snappy page does not hold the \(size) bytes its header says") }
        var output = [UInt8](repeating: 0, count: size)
        guard size > 0 else { return output }
        var produced = size
        let status = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                source.baseAddress!.withMemoryRebound(to: CChar.self, capacity: input.count) { from in
                    target.baseAddress!.withMemoryRebound(to: CChar.self, capacity: size) { to in snappy_uncompress(from, input.count, to, &produced) }
                }
            }
        }
        guard status == SNAPPY_OK, produced == size else { throw ParquetError("a snappy page is corrupt") }
        return output
    }

    static func zstd(_ input: [UInt8], size: Int) throws(ParquetError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: size)
        let produced = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { target in ZSTD_decompress(target.baseAddress, size, source.baseAddress, input.count) }
        }
        guard ZSTD_isError(produced) == 0, produced == size else { throw ParquetError("a zstd page is corrupt or not the \(size) bytes its header says") }
        return output
    }

    static func gzip(_ input: [UInt8], size: Int) throws(ParquetError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: size)
        var stream = z_stream()
        // 15 + 32: a zlib or gzip header, found automatically.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw ParquetError("zlib cannot start") }
        defer { inflateEnd(&stream) }
        var input = input
        let status = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                return inflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END, Int(stream.total_out) == size else { throw ParquetError("a gzip page is corrupt or not the \(size) bytes its header says") }
        return output
    }
}
