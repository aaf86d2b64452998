import Foundation

/// Writes the values `JSONReader` gives (and JSONSerialization takes) as compact JSON:
/// objects with their keys sorted, strings as UTF-8 with only `"`, `\` and control
/// characters escaped (no `\/`). Deterministic: the same value, the same bytes.
/// JSONSerialization, on Linux, bridged every dictionary to NSDictionary and sorted
/// keys through NSString: two thirds of creating a Delta table went there.
public enum JSONWriter {
    public struct Failure: Error, Sendable {
        public var message: String
    }

    /// `value` as JSON; an error names the first value that has no JSON form.
    public static func data(_ value: Any) throws(Failure) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        try write(value, into: &output, depth: 0)
        return output
    }

    /// `value` as JSON text.
    public static func string(_ value: Any) throws(Failure) -> String {
        String(decoding: try data(value), as: UTF8.self)
    }

    private static func write(_ value: Any, into output: inout [UInt8], depth: Int) throws(Failure) {
        guard depth < JSONReader.maxDepth else { throw Failure(message: "nested more than \(JSONReader.maxDepth) levels deep") }
        // Exact types first: on Linux, Foundation lets a number cast to Bool and back.
        switch value {
        case let text as String:
            string(text, into: &output)
        case let flag as Bool where type(of: value) == Bool.self:
            output += flag ? Array("true".utf8) : Array("false".utf8)
        case let number as Int where type(of: value) == Int.self:
            output += Array(String(number).utf8)
        case let number as Int64 where type(of: value) == Int64.self:
            output += Array(String(number).utf8)
        case let number as Int32 where type(of: value) == Int32.self:
            output += Array(String(number).utf8)
        case let number as Double where type(of: value) == Double.self:
            guard number.isFinite else { throw Failure(message: "\(number) has no JSON form") }
            output += Array(number.description.utf8)
        case is NSNull:
            output += Array("null".utf8)
        case let object as [String: Any]:
            output.append(UInt8(ascii: "{"))
            for (index, entry) in object.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                string(entry.key, into: &output)
                output.append(UInt8(ascii: ":"))
                try write(entry.value, into: &output, depth: depth + 1)
            }
            output.append(UInt8(ascii: "}"))
        case let array as [Any]:
            output.append(UInt8(ascii: "["))
            for (index, element) in array.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                try write(element, into: &output, depth: depth + 1)
            }
            output.append(UInt8(ascii: "]"))
        default:
            throw Failure(message: "a value of type \(type(of: value)) has no JSON form")
        }
    }

    private static func string(_ text: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): output += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: output += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: output += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: output += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x08: output += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x0C: output += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case ..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
