/// A position in a YAML source, 1-based (libyaml's marks are 0-based).
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct Mark: Sendable, Hashable, CustomStringConvertible {
    // Twelve bytes: every node holds two marks, and 10,000 manifests hold millions of nodes.
    private var storedLine: Int32
    private var storedColumn: Int32
    /// 0, or an index into `InternedStrings` when `file` is set.
    private var fileIndex: UInt32 = 0

    /// The file, when the node was moved from another file than the document's (an
    /// environment's overlay patched into a manifest); nil means the document's file.
    public var file: String? {
        get { fileIndex == 0 ? nil : InternedStrings.shared.name(fileIndex) }
        set { fileIndex = newValue.map(InternedStrings.shared.index) ?? 0 }
    }

    public var line: Int {
        get { Int(storedLine) }
        set { storedLine = Int32(clamping: newValue) }
    }

    public var column: Int {
        get { Int(storedColumn) }
        set { storedColumn = Int32(clamping: newValue) }
    }

    public init(line: Int, column: Int) {
        storedLine = Int32(clamping: line)
        storedColumn = Int32(clamping: column)
    }

    public var description: String { "\(line):\(column)" }
}

/// How a scalar was written; quoted scalars are always strings.
public enum ScalarStyle: Sendable, Hashable {
    case plain, singleQuoted, doubleQuoted, literal, folded
}

/// One YAML node, copied out of libyaml's events with its source mark.
public struct Node: Sendable {
    public struct Pair: Sendable {
        public var key: Node
        public var value: Node

        public init(key: Node, value: Node) {
            self.key = key
            self.value = value
        }
    }

    public enum Content: Sendable {
        case scalar(String, ScalarStyle)
        case mapping([Pair])
        case sequence([Node])
    }

    public var content: Content {
        didSet { mayReference = Self.mayReference(content) }
    }
    /// Whether a scalar in this subtree contains `${` (a variable reference may start
    /// there): substitution skips every other subtree without walking it.
    public private(set) var mayReference: Bool {
        get { bits & Self.referenceBit != 0 }
        set { bits = newValue ? bits | Self.referenceBit : bits & ~Self.referenceBit }
    }
    public var mark: Mark
    /// Just past the node's last character (for a block collection, where the next
    /// token starts).
    public var end: Mark
    /// An explicit tag (`!!str`, `!custom`), if the source gave one.
    public var tag: String? {
        get { bits & Self.tagBits == 0 ? nil : InternedStrings.shared.name(bits & Self.tagBits) }
        set { bits = (bits & Self.referenceBit) | (newValue.map(InternedStrings.shared.index) ?? 0) }
    }
    /// The interned tag's index in the low 31 bits (0: none; tags are rare, and few
    /// distinct), and `mayReference` in the top bit: a node stays 48 bytes.
    private var bits: UInt32 = 0
    private static let referenceBit: UInt32 = 1 << 31
    private static let tagBits: UInt32 = referenceBit - 1

    public init(_ content: Content, mark: Mark, end: Mark? = nil, tag: String? = nil) {
        self.content = content
        self.mark = mark
        self.end = end ?? mark
        self.mayReference = Self.mayReference(content)
        self.tag = tag
    }

    /// A scalar whose `${` scan was done on libyaml's bytes.
    init(scalar text: String, _ style: ScalarStyle, mark: Mark, end: Mark, tag: String?, mayReference: Bool) {
        self.content = .scalar(text, style)
        self.mark = mark
        self.end = end
        // Most scalars have no tag: the bits are set once, without the tag's setter.
        bits = (mayReference ? Self.referenceBit : 0) | (tag.map(InternedStrings.shared.index) ?? 0)
    }

    private static func mayReference(_ content: Content) -> Bool {
        switch content {
        case .scalar(let text, _): return containsDollarBrace(text)
        case .mapping(let pairs): return pairs.contains { $0.key.mayReference || $0.value.mayReference }
        case .sequence(let items): return items.contains { $0.mayReference }
        }
    }

    /// Whether `text` contains `${` (most scalars have none).
    public static func containsDollarBrace(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { containsDollarBrace($0) }
    }

    /// Whether `bytes` contain `${`: `memchr` finds each `$`.
    static func containsDollarBrace(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard var at = bytes.baseAddress, bytes.count > 1 else { return false }
        let end = at + bytes.count
        while let dollar = memchr(at, Int32(UInt8(ascii: "$")), end - at) {
            let next = dollar.assumingMemoryBound(to: UInt8.self) + 1
            if next == end { return false }
            if next.pointee == UInt8(ascii: "{") { return true }
            at = UnsafePointer(next)
        }
        return false
    }
}

extension Node {
    /// The resolved value of a scalar under the YAML 1.2 core schema.
    public enum Scalar: Sendable, Equatable {
        case null
        case bool(Bool)
        case int(Int)
        case double(Double)
        case string(String)
    }

    public var scalarText: String? {
        if case .scalar(let text, _) = content { return text }
        return nil
    }

    public var pairs: [Pair]? {
        if case .mapping(let pairs) = content { return pairs }
        return nil
    }

    public var items: [Node]? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    /// The scalar resolved by the core schema: quoted or `!!str` scalars are strings,
    /// plain ones may be null, booleans or numbers.
    public var scalar: Scalar? {
        guard case .scalar(let text, let style) = content else { return nil }
        if style != .plain || (bits & Self.tagBits != 0 && tag == "tag:yaml.org,2002:str") { return .string(text) }
        // Most scalars are words, decided by their first byte: only `~`, n, t, f (any
        // case) can start a null or a boolean, and a digit, sign or dot a number.
        guard let first = text.utf8.first else { return .null }
        switch first {
        case UInt8(ascii: "~"), UInt8(ascii: "n"), UInt8(ascii: "N"):
            if text == "~" || text == "null" || text == "Null" || text == "NULL" { return .null }
        case UInt8(ascii: "t"), UInt8(ascii: "T"):
            if text == "true" || text == "True" || text == "TRUE" { return .bool(true) }
        case UInt8(ascii: "f"), UInt8(ascii: "F"):
            if text == "false" || text == "False" || text == "FALSE" { return .bool(false) }
        case 0x30...0x39, UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."):
            if let int = Node.parseInt(text) { return .int(int) }
            if let double = Node.parseDouble(text) { return .double(double) }
        default:
            break
        }
        return .string(text)
    }

    /// A short name of this node's shape, for error messages.
    public var shapeName: String {
        switch content {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar:
            switch scalar {
            case .null: return "null"
            case .bool: return "a boolean"
            case .int: return "an integer"
            case .double: return "a number"
            default: return "a string"
            }
        }
    }

    /// The value of a key in a mapping, by its scalar text (`sameKey`).
    public subscript(key: String) -> Node? {
        guard case .mapping(let pairs) = content, let index = Node.index(of: key, in: pairs) else { return nil }
        return pairs[index].value
    }

    /// The position of the pair whose key is `key` (`sameKey`) in `pairs`.
    @inlinable
    public static func index(of key: String, in pairs: [Pair]) -> Int? {
        for index in pairs.indices {
            if case .scalar(let text, _) = pairs[index].key.content, sameKey(text, key) { return index }
        }
        return nil
    }

    /// Whether key text `text` is `key`: as long in UTF-8, and equal. Lookups and the
    /// unknown-field check use this one test, so a key is either found or reported.
    /// The length comes first: most keys compared differ in it, and comparing
    /// strings of another length cost more than the rest of a lookup.
    @inlinable @inline(__always)
    public static func sameKey(_ text: String, _ key: String) -> Bool {
        text.utf8.count == key.utf8.count && text == key
    }

    static func parseInt(_ text: String) -> Int? {
        var body = Substring(text)
        var negative = false
        if body.first == "-" || body.first == "+" {
            negative = body.first == "-"
            body = body.dropFirst()
        }
        guard !body.isEmpty else { return nil }
        let value: Int?
        if body.hasPrefix("0x") { value = Int(body.dropFirst(2), radix: 16) }
        else if body.hasPrefix("0o") { value = Int(body.dropFirst(2), radix: 8) }
        else if body.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { value = Int(body) }
        else { value = nil }
        return value.map { negative ? -$0 : $0 }
    }

    static func parseDouble(_ text: String) -> Double? {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        // Core schema: [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
        let bytes = text.utf8
        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
        guard let first = bytes.first, isDigit(first) || first == 0x2B || first == 0x2D || first == 0x2E else { return nil }
        guard bytes.contains(where: isDigit) else { return nil }
        guard bytes.allSatisfy({ isDigit($0) || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E || $0 == 0x65 || $0 == 0x45 }) else { return nil }
        return Double(text)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

/// One document of a YAML stream.
public struct Document: Sendable {
    /// 0-based position of the document in its file.
    public var index: Int
    /// The root node; nil for an empty document.
    public var root: Node?
    public var mark: Mark
}

/// A YAML syntax or structure error, with the position libyaml reported.
public struct YAMLError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var mark: Mark
    public var message: String

    public var description: String { "\(path):\(mark): error: \(message)" }
}

/// The few strings marks and nodes refer to (file names of nodes moved between files,
/// explicit tags), interned so a mark or a node stays small. Append-only.
final class InternedStrings: Sendable {
    static let shared = InternedStrings()
    private let state = Mutex<(names: [String], indexes: [String: UInt32])>(([], [:]))

    func index(_ name: String) -> UInt32 {
        state.withLock { state in
            if let known = state.indexes[name] { return known }
            // A node keeps the index in 31 bits (see `Node.bits`).
            precondition(state.names.count < Int(Int32.max) - 1, "more than 2^31 distinct tags and file names")
            state.names.append(name)
            let index = UInt32(state.names.count)
            state.indexes[name] = index
            return index
        }
    }

    func name(_ index: UInt32) -> String {
        state.withLock { $0.names[Int(index) - 1] }
    }
}
