/// MurmurHash3, x86 32-bit variant (seed 0 by default): the hash flagd's
/// `fractional` operator buckets by.
public enum Murmur3 {
    public static func hash32(_ bytes: [UInt8], seed: UInt32 = 0) -> UInt32 {
        let c1: UInt32 = 0xcc9e2d51, c2: UInt32 = 0x1b873593
        var h = seed
        let blocks = bytes.count / 4
        for index in 0..<blocks {
            let i = index * 4
            var k = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
            k = k &* c1
            k = (k << 15) | (k >> 17)
            k = k &* c2
            h ^= k
            h = (h << 13) | (h >> 19)
            h = h &* 5 &+ 0xe6546b64
        }
        var k: UInt32 = 0
        let tail = blocks * 4
        switch bytes.count & 3 {
        case 3:
            k ^= UInt32(bytes[tail + 2]) << 16
            fallthrough
        case 2:
            k ^= UInt32(bytes[tail + 1]) << 8
            fallthrough
        case 1:
            k ^= UInt32(bytes[tail])
            k = k &* c1
            k = (k << 15) | (k >> 17)
            k = k &* c2
            h ^= k
        default:
            break
        }
        h ^= UInt32(truncatingIfNeeded: bytes.count)
        h ^= h >> 16
        h = h &* 0x85ebca6b
        h ^= h >> 13
        h = h &* 0xc2b2ae35
        h ^= h >> 16
        return h
    }
}

/// Canonical CBOR (RFC 8949, deterministic encoding) of JSON values: what flagd
/// hashes for `fractional` buckets, so both pick the same variant.
public enum CBOR {
    public static func encode(_ value: Value) -> [UInt8] {
        var out: [UInt8] = []
        write(value, into: &out)
        return out
    }

    static func head(_ major: UInt8, _ argument: UInt64, into out: inout [UInt8]) {
        let type = major << 5
        switch argument {
        case ..<24: out.append(type | UInt8(argument))
        case ..<0x100: out += [type | 24, UInt8(argument)]
        case ..<0x10000: out += [type | 25, UInt8(argument >> 8), UInt8(argument & 0xff)]
        case ..<0x1_0000_0000: out.append(type | 26); out += (0..<4).reversed().map { UInt8((argument >> (8 * UInt64($0))) & 0xff) }
        default: out.append(type | 27); out += (0..<8).reversed().map { UInt8((argument >> (8 * UInt64($0))) & 0xff) }
        }
    }

    static func write(_ value: Value, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(0xf6)
        case .bool(let flag): out.append(flag ? 0xf5 : 0xf4)
        case .int(let number):
            if number >= 0 { head(0, UInt64(number), into: &out) } else { head(1, UInt64(-1 - number), into: &out) }
        case .double(let number):
            // Whole numbers are integers, as flagd normalizes them; others the shortest exact float.
            if number.rounded() == number, abs(number) < 9.2e18 {
                write(.int(Int(number)), into: &out)
            } else if Double(Float16(number)) == number {
                out.append(0xf9)
                let bits = Float16(number).bitPattern
                out += [UInt8(bits >> 8), UInt8(bits & 0xff)]
            } else if Double(Float(number)) == number {
                out.append(0xfa)
                let bits = Float(number).bitPattern
                out += (0..<4).reversed().map { UInt8((bits >> (8 * UInt32($0))) & 0xff) }
            } else {
                out.append(0xfb)
                let bits = number.bitPattern
                out += (0..<8).reversed().map { UInt8((bits >> (8 * UInt64($0))) & 0xff) }
            }
        case .string(let text):
            let bytes = Array(text.utf8)
            head(3, UInt64(bytes.count), into: &out)
            out += bytes
        case .array(let items):
            head(4, UInt64(items.count), into: &out)
            for item in items { write(item, into: &out) }
        case .object(let fields):
            // Deterministic order: keys sorted by their encoded bytes.
            let keys = fields.keys.map { (key: $0, bytes: encode(.string($0))) }.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
            head(5, UInt64(keys.count), into: &out)
            for key in keys {
                out += key.bytes
                write(fields[key.key]!, into: &out)
            }
        }
    }
}

import Model
