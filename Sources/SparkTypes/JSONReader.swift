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
    public struct Reader {
        public let bytes: UnsafeRawBufferPointer
        public var index = 0

        public init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        public func failure(_ message: String) -> Failure { Failure(offset: index, message: message) }

        public var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        public mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
        }

        public mutating func value(depth: Int) throws(Failure) -> Any {
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

        public mutating func string() throws(Failure) -> String {
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
            return try escapedString(from: start)
        }

        /// The string from `start` (just past its opening quote), which has escapes:
        /// its end found first (an escaped string is never shorter than its text), then
        /// decoded into one buffer of that size (a Delta schemaString escapes every
        /// quote, and growing an array run by run cost more than the rest of reading it).
        private mutating func escapedString(from start: Int) throws(Failure) -> String {
            var end = index
            while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
                end += bytes[end] == UInt8(ascii: "\\") ? 2 : 1
            }
            guard end < bytes.count else { throw failure("unterminated string") }
            var problem: Failure?
            var high = false
            let text = String(unsafeUninitializedCapacity: end - start) { output -> Int in
                var written = 0
                func put(_ byte: UInt8) {
                    // Never past the buffer, whatever the input (see above why it fits).
                    guard written < output.count else { problem = failure("invalid string"); return }
                    output[written] = byte
                    written += 1
                }
                index = start
                while problem == nil {
                    let byte = bytes[index]
                    if byte == UInt8(ascii: "\"") { index += 1; break }
                    guard byte >= 0x20 else { problem = failure("a control character inside a string"); break }
                    if byte != UInt8(ascii: "\\") {
                        high = high || byte >= 0x80
                        put(byte)
                        index += 1
                        continue
                    }
                    index += 1
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): put(escape)
                    case UInt8(ascii: "b"): put(0x08)
                    case UInt8(ascii: "f"): put(0x0C)
                    case UInt8(ascii: "n"): put(0x0A)
                    case UInt8(ascii: "r"): put(0x0D)
                    case UInt8(ascii: "t"): put(0x09)
                    case UInt8(ascii: "u"):
                        do throws(Failure) {
                            // Six escaped bytes give at most four: the buffer holds them.
                            for byte in try unicodeEscape() { put(byte) }
                            high = true
                        } catch {
                            problem = error
                        }
                    default: problem = failure("invalid escape")
                    }
                }
                guard problem == nil, high else { return written }
                if String(validating: UnsafeBufferPointer(rebasing: output[..<written]), as: UTF8.self) == nil { problem = failure("invalid UTF-8") }
                return written
            }
            if let problem { throw problem }
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
