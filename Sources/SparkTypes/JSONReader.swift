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
            var result: [String: Any] = [:]
            var first = true
            try beginObject(depth: depth)
            while let key = try nextKey(&first) { result[key] = try value(depth: depth + 1) }
            return result
        }

        mutating func array(depth: Int) throws(Failure) -> [Any] {
            var result: [Any] = []
            var first = true
            try beginArray(depth: depth)
            while try nextItem(&first) { result.append(try value(depth: depth + 1)) }
            return result
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

/// A pull interface for typed readers: an object or array is walked member by member,
/// with the same checks as `value(depth:)`.
extension JSONReader.Reader {
    /// Starts the object at the cursor.
    public mutating func beginObject(depth: Int) throws(JSONReader.Failure) {
        guard depth < JSONReader.maxDepth else { throw failure("nested more than \(JSONReader.maxDepth) levels deep") }
        guard current == UInt8(ascii: "{") else { throw failure("expected an object") }
        index += 1
    }

    /// The next key of the object begun, the cursor on its value; nil past its end.
    public mutating func nextKey(_ first: inout Bool) throws(JSONReader.Failure) -> String? {
        skipSpace()
        if first {
            first = false
            if current == UInt8(ascii: "}") { index += 1; return nil }
        } else {
            switch current {
            case UInt8(ascii: ","): index += 1; skipSpace()
            case UInt8(ascii: "}"): index += 1; return nil
            default: throw failure("expected ',' or '}'")
            }
        }
        guard current == UInt8(ascii: "\"") else { throw failure("expected a string key") }
        let key = try string()
        skipSpace()
        guard current == UInt8(ascii: ":") else { throw failure("expected ':'") }
        index += 1
        skipSpace()
        return key
    }

    /// Starts the array at the cursor.
    public mutating func beginArray(depth: Int) throws(JSONReader.Failure) {
        guard depth < JSONReader.maxDepth else { throw failure("nested more than \(JSONReader.maxDepth) levels deep") }
        guard current == UInt8(ascii: "[") else { throw failure("expected an array") }
        index += 1
    }

    /// Whether the array begun has another item, the cursor on it.
    public mutating func nextItem(_ first: inout Bool) throws(JSONReader.Failure) -> Bool {
        skipSpace()
        if first {
            first = false
            if current == UInt8(ascii: "]") { index += 1; return false }
            return true
        }
        switch current {
        case UInt8(ascii: ","): index += 1; skipSpace(); return true
        case UInt8(ascii: "]"): index += 1; return false
        default: throw failure("expected ',' or ']'")
        }
    }

    /// The string at the cursor; any other value is read (checked) and gives nil.
    public mutating func stringOrSkip(depth: Int) throws(JSONReader.Failure) -> String? {
        if current == UInt8(ascii: "\"") { return try string() }
        _ = try value(depth: depth)
        return nil
    }

    /// Reads the value at the cursor with every check `value(depth:)` makes, building
    /// nothing for objects and arrays.
    public mutating func skipValue(depth: Int) throws(JSONReader.Failure) {
        var first = true
        switch current {
        case UInt8(ascii: "{"):
            try beginObject(depth: depth)
            while try nextKey(&first) != nil { try skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            try beginArray(depth: depth)
            while try nextItem(&first) { try skipValue(depth: depth + 1) }
        default:
            _ = try value(depth: depth)
        }
    }

    /// Past the value read: nothing but white space may follow.
    public mutating func end() throws(JSONReader.Failure) {
        skipSpace()
        guard index == bytes.count else { throw failure("unexpected text after the value") }
    }

    /// The boolean at the cursor; any other value is read (checked) and gives nil.
    public mutating func boolOrSkip(depth: Int) throws(JSONReader.Failure) -> Bool? {
        let value = try value(depth: depth)
        return value as? Bool
    }
}
