import Model
import YAMLSource

/// What the files one thread decodes share: parsed column types by their text
/// (10,000 tables repeat a few dozen type strings), and equal string maps. Bounded:
/// past `maxKept` distinct ones, a text is parsed each time and a map kept alone.
final class TypeMemo {
    static let maxKept = 10_000
    private var types: [String: Result<DataType, DataTypeParseError>] = [:]

    /// `body` with this memo, for the files one thread decodes.
    func sharing<T>(_ body: (TypeMemo) -> T) -> T { body(self) }

    private var maps: Set<[String: String]> = []

    /// `map`, or an equal one kept before: labels, properties and constraints repeat
    /// across tables, and equal maps then share one storage (at 100,000 tables, tens
    /// of megabytes). Bounded like the types.
    func shared(_ map: [String: String]) -> [String: String] {
        guard !map.isEmpty else { return map }
        if let index = maps.firstIndex(of: map) { return maps[index] }
        if maps.count < Self.maxKept { maps.insert(map) }
        return map
    }

    /// The last text parsed: a table's columns often repeat the type of the one
    /// before, and comparing the text costs less than hashing it.
    private var last: (text: String, result: Result<DataType, DataTypeParseError>)?

    /// `DataType.parse(text)`, once per distinct text.
    func parse(_ text: String) throws(DataTypeParseError) -> DataType {
        if let last, last.text == text { return try last.result.get() }
        let result: Result<DataType, DataTypeParseError>
        if let known = types[text] {
            result = known
        } else {
            result = Result { () throws(DataTypeParseError) -> DataType in try DataType.parse(text) }
            if types.count < Self.maxKept { types[text] = result }
        }
        last = (text, result)
        return try result.get()
    }
}

/// Collects diagnostics for one load, with positions; also carries what one load
/// memoizes (parsed column types).
final class DiagnosticSink {
    private(set) var diagnostics: [Diagnostic] = []
    private let types: TypeMemo

    init(types: TypeMemo = TypeMemo()) { self.types = types }

    func parseType(_ text: String) throws(DataTypeParseError) -> DataType { try types.parse(text) }

    /// An equal map seen before by this load's thread, else `map` (see `TypeMemo.shared`).
    func shared(_ map: [String: String]) -> [String: String] { types.shared(map) }

    func error(_ path: String, _ mark: Mark, _ message: String) {
        diagnostics.append(.error(at: SourceLocation(path: mark.file ?? path, line: mark.line, column: mark.column), message))
    }

    func warning(_ location: SourceLocation, _ message: String) {
        diagnostics.append(Diagnostic(.warning, at: location, message))
    }

    func append(_ diagnostic: Diagnostic) { diagnostics.append(diagnostic) }
}

/// Reads the fields of one YAML mapping, reporting wrong types, missing required
/// fields and unknown fields (with a suggestion) against a known list.
final class MappingReader {
    let node: Node
    let file: String
    /// Dotted field path of this mapping, for messages (`spec.columns[2]`); put
    /// together only when a message needs it (a table has dozens of columns).
    var fieldPath: String { index.map { "\(basePath)[\($0)]" } ?? basePath }
    private let basePath: String
    /// The position of this mapping in the list at `basePath`, if it is a list item.
    private let index: Int?
    /// Prefix for every message, usually the resource (`Table/main.sales.orders: `).
    let subject: String
    let sink: DiagnosticSink
    private var known: [String] = []
    /// The pairs (of the first 64) a field was read from: when every pair was, no key
    /// is unknown, and `finish` has nothing to look up.
    private var found: UInt64 = 0
    /// An explicit null (`field:` with nothing after it) is an error rather than
    /// "not given" (environment files: a guardrail never runs on a default it chose
    /// for a field the user wrote). Mappings read through `mapping(_:)` inherit it.
    var rejectsNull = false

    /// Nil (after reporting) when `node` is not a mapping.
    convenience init?(_ node: Node, file: String, fieldPath: String, subject: String, sink: DiagnosticSink) {
        self.init(node, file: file, path: fieldPath, index: nil, subject: subject, sink: sink)
    }

    /// The reader of item `index` of the list at `list` (`spec.columns`); nil (after
    /// reporting) when the item is not a mapping. `fields`, when given, are the keys
    /// such an item may have, all known from the start: a table's many columns then
    /// share one list, and an unknown key's message names them all.
    convenience init?(_ node: Node, file: String, item index: Int, of list: String, subject: String, sink: DiagnosticSink, fields: [String] = []) {
        self.init(node, file: file, path: list, index: index, subject: subject, sink: sink)
        known = fields
    }

    private init?(_ node: Node, file: String, path: String, index: Int?, subject: String, sink: DiagnosticSink) {
        self.node = node
        self.file = file
        self.basePath = path
        self.index = index
        self.subject = subject
        self.sink = sink
        guard node.pairs != nil else {
            sink.error(file, node.mark, "\(subject)\(fieldPath.isEmpty ? "the document" : fieldPath) must be a mapping, not \(node.shapeName)")
            return nil
        }
    }

    func path(_ key: String) -> String { fieldPath.isEmpty ? key : "\(fieldPath).\(key)" }

    func error(_ at: Node, _ message: String) {
        sink.error(file, at.mark, subject + message)
    }

    /// The node under `key`; declares `key` as known. Reports a missing required field.
    func field(_ key: String, required: Bool = false) -> Node? {
        if !known.contains(where: { Node.sameKey($0, key) }) { known.append(key) }
        guard let pairs = node.pairs, let index = Node.index(of: key, in: pairs) else {
            if required { error(node, "missing required field \"\(path(key))\"") }
            return nil
        }
        if index < 64 { found |= 1 << UInt64(index) }
        return pairs[index].value
    }

    func string(_ key: String, required: Bool = false) -> String? {
        guard let value = field(key, required: required) else { return nil }
        return stringValue(value, path(key))
    }

    /// The string `value` holds; `fieldPath` is built only for an error.
    func stringValue(_ value: Node, _ fieldPath: @autoclosure () -> String) -> String? {
        // Quoted scalars are strings whatever they say: no resolution needed.
        if case .scalar(let text, let style) = value.content, style != .plain { return text }
        guard case .string(let text) = value.scalar else {
            if case .null = value.scalar {
                if rejectsNull { error(value, "\(fieldPath()) is empty; write a value or remove the field") }
                return nil
            }
            error(value, "\(fieldPath()) must be a string, not \(value.shapeName)")
            return nil
        }
        return text
    }

    func bool(_ key: String) -> Bool? {
        guard let value = field(key) else { return nil }
        guard case .bool(let flag) = value.scalar else {
            error(value, "\(path(key)) must be true or false, not \(value.shapeName)\(value.scalarText.map { " \"\($0)\"" } ?? "")")
            return nil
        }
        return flag
    }

    /// A mapping of strings; scalar booleans and numbers are taken as their text. For
    /// the keys in `lists`, a list of strings is accepted too, joined with commas.
    func stringMap(_ key: String, lists: Set<String> = []) -> [String: (value: String, node: Node, keyNode: Node)] {
        guard let value = field(key) else { return [:] }
        if case .null = value.scalar {
            if rejectsNull { error(value, "\(path(key)) is empty; write a mapping ({} for none) or remove the field") }
            return [:]
        }
        guard let pairs = value.pairs else {
            error(value, "\(path(key)) must be a mapping of names to strings, not \(value.shapeName)")
            return [:]
        }
        var result: [String: (String, Node, Node)] = [:]
        for pair in pairs {
            guard let name = pair.key.scalarText else {
                error(pair.key, "\(path(key)) keys must be strings")
                continue
            }
            switch pair.value.content {
            case .scalar(let text, _):
                result[name] = (text, pair.value, pair.key)
            case .sequence(let items) where lists.contains(name) && items.allSatisfy({ $0.scalarText != nil }):
                result[name] = (items.compactMap(\.scalarText).joined(separator: ","), pair.value, pair.key)
            default:
                error(pair.value, "\(path(key)).\(name) must be a string, not \(pair.value.shapeName)")
            }
        }
        return result
    }

    func sequence(_ key: String, required: Bool = false) -> [Node]? {
        guard let value = field(key, required: required) else { return nil }
        if case .null = value.scalar {
            if rejectsNull { error(value, "\(path(key)) is empty; write a list ([] for none) or remove the field") }
            return []
        }
        guard let items = value.items else {
            error(value, "\(path(key)) must be a list, not \(value.shapeName)")
            return nil
        }
        return items
    }

    func mapping(_ key: String, required: Bool = false) -> MappingReader? {
        guard let value = field(key, required: required) else { return nil }
        let reader = MappingReader(value, file: file, fieldPath: path(key), subject: subject, sink: sink)
        reader?.rejectsNull = rejectsNull
        return reader
    }

    /// Reports every key not asked for, with the closest known one.
    func finish() {
        let pairs = node.pairs ?? []
        if pairs.count <= 64, found.nonzeroBitCount == pairs.count { return }
        for pair in pairs {
            guard let key = pair.key.scalarText else {
                error(pair.key, "\(fieldPath.isEmpty ? "" : fieldPath + ": ")keys must be strings")
                continue
            }
            guard !known.contains(where: { Node.sameKey(key, $0) }) else { continue }
            // The tail of an unquoted `decimal(18,2)` split at its comma inside { }: the
            // value's own error already says to quote it.
            if key.first?.isNumber == true, key.hasSuffix(")") || key.hasSuffix(">"), pair.value.scalarText?.isEmpty ?? true { continue }
            let hint = Suggest.hint(for: key, in: known)
            let allowed = hint.isEmpty ? "; known fields here: " + known.joined(separator: ", ") : hint
            sink.error(file, pair.key.mark, "\(subject)unknown field \"\(path(key))\"\(allowed)")
        }
    }
}

/// Identifier rules shared by names of catalogs, schemas, tables, columns and constraints.
enum Identifier {
    /// Unity Catalog's limit on an object name (and Linux's on a file name, which a
    /// local lakehouse's directories are).
    static let maxLength = 255

    static func isValid(_ name: String) -> Bool {
        guard name.utf8.count <= maxLength else { return false }
        var bytes = name.utf8.makeIterator()
        guard let first = bytes.next(), first == UInt8(ascii: "_") || isLetter(first) else { return false }
        while let byte = bytes.next() {
            guard byte == UInt8(ascii: "_") || isLetter(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return false }
        }
        return true
    }

    static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    static let rule = "use letters, digits and underscores, starting with a letter or underscore, at most 255 characters"

    /// Names of pipelines, flags and principals' grants manifests: `orders-silver`, `new.checkout_v2`.
    static func isSlug(_ name: String) -> Bool {
        guard name.utf8.count <= maxLength, let first = name.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic || ("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)) }
    }

    static let slugRule = "use letters, digits, \"-\", \"_\" and \".\", starting with a letter or digit, at most 255 characters"

    /// A name as a message shows it: a long one is cut, with its length said.
    static func shown(_ name: String) -> String {
        name.count <= 64 ? name : String(name.prefix(40)) + "…(\(name.count) characters)"
    }

    /// A full name of `parts` identifiers separated by dots.
    static func isFullName(_ name: String, parts: Int) -> Bool {
        let split = name.split(separator: ".", omittingEmptySubsequences: false)
        return split.count == parts && split.allSatisfy { isValid(String($0)) }
    }
}

/// Something a manifest names that is checked once every manifest is read: a table
/// a pipeline reads or writes, a library file in the repository.
public struct Reference: Sendable {
    public enum Kind: Sendable { case consumes, produces, library, function }
    public var kind: Kind
    public var value: String
    public var location: SourceLocation
    /// The field, for messages (`spec.consumes[1]`).
    public var field: String
    public var from: ResourceID
}

final class ReferenceCollector {
    var items: [Reference] = []
}

extension MappingReader {
    func location(_ node: Node) -> SourceLocation {
        SourceLocation(path: node.mark.file ?? file, line: node.mark.line, column: node.mark.column)
    }

    /// A list of strings, each with its node.
    func strings(_ key: String) -> [(value: String, node: Node)] {
        var result: [(String, Node)] = []
        for (index, item) in (sequence(key) ?? []).enumerated() {
            if let text = stringValue(item, "\(path(key))[\(index)]") { result.append((text, item)) }
        }
        return result
    }

    /// Any YAML value as JSON (flag variants, targeting, metadata).
    func jsonValue(_ node: Node) -> Value {
        switch node.content {
        case .mapping(let pairs):
            return .object(Dictionary(pairs.map { ($0.key.scalarText ?? "", jsonValue($0.value)) }, uniquingKeysWith: { $1 }))
        case .sequence(let items):
            return .array(items.map(jsonValue))
        case .scalar:
            switch node.scalar {
            case .null?, nil: return .null
            case .bool(let flag)?: return .bool(flag)
            case .int(let number)?: return .int(number)
            case .double(let number)?: return .double(number)
            case .string(let text)?: return .string(text)
            }
        }
    }
}
