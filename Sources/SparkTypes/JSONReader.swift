import Foundation

/// A strict JSON reader (RFC 8259) giving the values JSONSerialization gives, for the
/// hot path of observing Delta tables: each commit's actions and each table's schema.
/// Objects are `[String: Any]`, arrays `[Any]`, strings `String` (UTF-8 validated),
/// integers that fit `Int`, other numbers `Double`, `Bool` and `NSNull`. Bounded:
/// nesting past `maxDepth` is an error, never a stack overflow.
public enum JSONReader {
    public static let maxDepth = 512

    public struct Failure: Error, Sendable {
        public var offset: Int
        public var message: String
    }

    public static func parse(_ data: Data) throws(Failure) -> Any {
        do {
            return try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) throws -> Any in try parse(bytes) }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(offset: 0, message: "\(error)")
        }
    }

    public static func parse(_ text: String) throws(Failure) -> Any { try parse(Data(text.utf8)) }

    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> Any {
        var reader = Reader(bytes: bytes)
        reader.skipSpace()
        let value = try reader.value(depth: 0)
        reader.skipSpace()
        guard reader.index == bytes.count else { throw reader.failure("unexpected text after the value") }
        return value
    }

    /// The scanner: builds `Any` values (`value(depth:)`), and lets typed readers walk
    /// a document member by member (`SchemaReader`), both with the same strictness.
    struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        func failure(_ message: String) -> Failure { Failure(offset: index, message: message) }

        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
        }

        mutating func value(depth: Int) throws(Failure) -> Any {
            guard depth < JSONReader.maxDepth else { throw failure("nested more than \(JSONReader.maxDepth) levels deep") }
            switch current {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return try string()
            case UInt8(ascii: "t"): return try literal("true", true)
            case UInt8(ascii: "f"): return try literal("false", false)
            case UInt8(ascii: "n"): return try literal("null", NSNull())
            case .some(let byte) where byte == UInt8(ascii: "-") || (0x30...0x39).contains(byte): return try number()
            case .some: throw failure("unexpected character")
            case .none: throw failure("unexpected end of input")
            }
        }

        mutating func literal(_ word: StaticString, _ value: Any) throws(Failure) -> Any {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw failure("unexpected end of input") }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { throw failure("unexpected character") }
            index += count
            return value
        }

        mutating func object(depth: Int) throws(Failure) -> [String: Any] {
            index += 1
            var result: [String: Any] = [:]
            skipSpace()
            if current == UInt8(ascii: "}") { index += 1; return result }
            while true {
                skipSpace()
                guard current == UInt8(ascii: "\"") else { throw failure("expected a string key") }
                let key = try string()
                skipSpace()
                guard current == UInt8(ascii: ":") else { throw failure("expected ':'") }
                index += 1
                skipSpace()
                result[key] = try value(depth: depth + 1)
                skipSpace()
                switch current {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "}"): index += 1; return result
                default: throw failure("expected ',' or '}'")
                }
            }
        }

        mutating func array(depth: Int) throws(Failure) -> [Any] {
            index += 1
            var result: [Any] = []
            skipSpace()
            if current == UInt8(ascii: "]") { index += 1; return result }
            while true {
                skipSpace()
                result.append(try value(depth: depth + 1))
                skipSpace()
                switch current {
                case UInt8(ascii: ","): index += 1
                case UInt8(ascii: "]"): index += 1; return result
                default: throw failure("expected ',' or ']'")
                }
            }
        }

        mutating func string() throws(Failure) -> String {
            index += 1
            let start = index
            // Most strings have no escape: validated straight from the bytes, and most are
            // ASCII, which is valid UTF-8 as it stands (no second pass to validate).
            var high: UInt8 = 0
            while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") {
                guard bytes[index] >= 0x20 else { throw failure("a control character inside a string") }
                high |= bytes[index]
                index += 1
            }
            guard index < bytes.count else { throw failure("unterminated string") }
            if bytes[index] == UInt8(ascii: "\"") {
                let run = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                let text: String
                if high < 0x80 {
                    text = String(decoding: run, as: UTF8.self)
                } else {
                    guard let valid = String(validating: run, as: UTF8.self) else { throw failure("invalid UTF-8") }
                    text = valid
                }
                index += 1
                return text
            }
            var scalars: [UInt8] = Array(bytes[start..<index])
            while true {
                guard index < bytes.count else { throw failure("unterminated string") }
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") { index += 1; break }
                guard byte >= 0x20 else { throw failure("a control character inside a string") }
                if byte != UInt8(ascii: "\\") {
                    // A run without escapes is copied at once.
                    let run = index
                    while index < bytes.count, bytes[index] >= 0x20, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") { index += 1 }
                    scalars.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[run..<index]))
                    continue
                }
                index += 1
                guard let escape = current else { throw failure("unterminated string") }
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(escape)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"): scalars.append(contentsOf: try unicodeEscape())
                default: throw failure("invalid escape")
                }
            }
            if !scalars.contains(where: { $0 >= 0x80 }) { return String(decoding: scalars, as: UTF8.self) }
            guard let text = String(validating: scalars, as: UTF8.self) else { throw failure("invalid UTF-8") }
            return text
        }

        /// After `\u`: four hex digits, a surrogate pair taking two escapes; as UTF-8.
        mutating func unicodeEscape() throws(Failure) -> [UInt8] {
            var code = try hex4()
            if (0xD800...0xDBFF).contains(code) {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else { throw failure("a lone surrogate") }
                index += 2
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw failure("a lone surrogate") }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(code) {
                throw failure("a lone surrogate")
            }
            guard let scalar = Unicode.Scalar(code) else { throw failure("invalid \\u escape") }
            return Array(String(Character(scalar)).utf8)
        }

        mutating func hex4() throws(Failure) -> UInt32 {
            guard index + 4 <= bytes.count else { throw failure("unterminated \\u escape") }
            var code: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt32
                switch byte {
                case 0x30...0x39: digit = UInt32(byte - 0x30)
                case 0x41...0x46: digit = UInt32(byte - 0x41 + 10)
                case 0x61...0x66: digit = UInt32(byte - 0x61 + 10)
                default: throw failure("invalid \\u escape")
                }
                code = code << 4 | digit
                index += 1
            }
            return code
        }

        mutating func number() throws(Failure) -> Any {
            let start = index
            if current == UInt8(ascii: "-") { index += 1 }
            guard let first = current, (0x30...0x39).contains(first) else { throw failure("invalid number") }
            index += 1
            if first != 0x30 { digits() }
            var integral = true
            if current == UInt8(ascii: ".") {
                integral = false
                index += 1
                guard digits() > 0 else { throw failure("invalid number") }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                integral = false
                index += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
                guard digits() > 0 else { throw failure("invalid number") }
            }
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            if integral, let whole = Int(text) { return whole }
            guard let real = Double(text), real.isFinite else { throw failure("a number out of range") }
            return real
        }

        @discardableResult mutating func digits() -> Int {
            let start = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
            return index - start
        }
    }
}
