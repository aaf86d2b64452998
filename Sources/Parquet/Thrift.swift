/// Thrift's compact protocol, as Parquet's footer and page headers use it, decoded
/// into a generic tree: a struct is its fields by id, so a reader takes what it
/// knows and skips the rest. Bounded: nesting depth, and every length by the bytes
/// that remain.
enum Thrift {
    indirect enum Value {
        case bool(Bool)
        case int(Int64)
        case double(Double)
        case binary([UInt8])
        case list([Value])
        case map([(Value, Value)])
        case `struct`([Int16: Value])

        subscript(_ id: Int16) -> Value? {
            if case .struct(let fields) = self { return fields[id] }
            return nil
        }
        var int: Int? { if case .int(let value) = self { return Int(value) }; return nil }
        var bool: Bool? { if case .bool(let value) = self { return value }; return nil }
        var string: String? { if case .binary(let bytes) = self { return String(decoding: bytes, as: UTF8.self) }; return nil }
        var list: [Value] { if case .list(let items) = self { return items }; return [] }
    }

    struct Malformed: Error {
        let message: String
    }

    static let maxDepth = 32

    /// Reads one struct starting at `offset`; on return `offset` is just past it.
    static func readStruct(_ bytes: [UInt8], at offset: inout Int) throws(Malformed) -> Value {
        var reader = Reader(bytes: bytes, offset: offset)
        let value = try reader.structure(depth: 0)
        offset = reader.offset
        return value
    }

    struct Reader {
        let bytes: [UInt8]
        var offset: Int

        mutating func byte() throws(Malformed) -> UInt8 {
            guard offset < bytes.count else { throw Malformed(message: "the Thrift structure ends early") }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func varint() throws(Malformed) -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let next = try byte()
                result |= UInt64(next & 0x7F) << shift
                if next & 0x80 == 0 { return result }
                shift += 7
                guard shift < 64 else { throw Malformed(message: "a Thrift varint is longer than 64 bits") }
            }
        }

        mutating func zigzag() throws(Malformed) -> Int64 {
            let raw = try varint()
            return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
        }

        mutating func structure(depth: Int) throws(Malformed) -> Value {
            guard depth < Thrift.maxDepth else { throw Malformed(message: "Thrift structures nest more than \(Thrift.maxDepth) deep") }
            var fields: [Int16: Value] = [:]
            var last: Int16 = 0
            while true {
                let header = try byte()
                if header == 0 { return .struct(fields) }
                let delta = Int16(header >> 4)
                let id = delta == 0 ? Int16(truncatingIfNeeded: try zigzag()) : last &+ delta
                last = id
                let type = header & 0x0F
                switch type {
                case 1: fields[id] = .bool(true)
                case 2: fields[id] = .bool(false)
                default: fields[id] = try value(type: type, depth: depth + 1)
                }
            }
        }

        mutating func value(type: UInt8, depth: Int) throws(Malformed) -> Value {
            switch type {
            case 1, 2: return .bool(try byte() == 1)  // a boolean inside a list or map: one byte
            case 3: return .int(Int64(Int8(bitPattern: try byte())))
            case 4, 5, 6: return .int(try zigzag())
            case 7:
                guard offset + 8 <= bytes.count else { throw Malformed(message: "a Thrift double ends early") }
                var bits: UInt64 = 0
                for index in 0..<8 { bits |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
                offset += 8
                return .double(Double(bitPattern: bits))
            case 8:
                let length = Int(clamping: try varint())
                guard length <= bytes.count - offset else { throw Malformed(message: "a Thrift string of \(length) bytes runs past the end") }
                defer { offset += length }
                return .binary(Array(bytes[offset..<offset + length]))
            case 9, 10:
                let header = try byte()
                var count = Int(header >> 4)
                if count == 15 { count = Int(clamping: try varint()) }
                guard count <= bytes.count - offset else { throw Malformed(message: "a Thrift list of \(count) items runs past the end") }
                var items: [Value] = []
                items.reserveCapacity(count)
                for _ in 0..<count { items.append(try value(type: header & 0x0F, depth: depth + 1)) }
                return .list(items)
            case 11:
                let count = Int(clamping: try varint())
                guard count > 0 else { return .map([]) }
                guard count <= bytes.count - offset else { throw Malformed(message: "a Thrift map of \(count) entries runs past the end") }
                let types = try byte()
                var entries: [(Value, Value)] = []
                for _ in 0..<count {
                    entries.append((try value(type: types >> 4, depth: depth + 1), try value(type: types & 0x0F, depth: depth + 1)))
                }
                return .map(entries)
            case 12:
                return try structure(depth: depth)
            default:
                throw Malformed(message: "unknown Thrift type \(type)")
            }
        }
    }
}
