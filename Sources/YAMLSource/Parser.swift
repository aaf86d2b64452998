internal import CYAML

/// Parses YAML streams with the system libyaml into `Document`s of `Node`s.
///
/// Anchors and aliases are resolved (an alias shares its anchor's node), `<<` merge
/// keys are applied, and a duplicate key in a mapping is an error.
public enum YAMLParser {
    /// How deep collections may nest: far beyond any manifest, well within the stack
    /// of every walk over a tree (decoding, interpolation, overlays, freeing it).
    public static let maxDepth = 100

    /// How many nodes a stream may produce with its aliases expanded, given its size:
    /// an alias is cheap to write and can stand for a large tree (a "billion laughs").
    public static func nodeBudget(bytes: Int) -> Int { 100_000 + 20 * bytes }

    public static func parse(_ bytes: [UInt8], path: String) throws(YAMLError) -> [Document] {
        let reader = EventReader(bytes: bytes, path: path)
        var builder = TreeBuilder(reader: reader, path: path, budget: nodeBudget(bytes: bytes.count))
        return try builder.stream()
    }

    public static func parse(_ text: String, path: String) throws(YAMLError) -> [Document] {
        try parse(Array(text.utf8), path: path)
    }
}

/// A libyaml event copied out of C memory.
struct Event {
    enum Kind {
        case streamStart, streamEnd, documentStart, documentEnd
        case sequenceStart, sequenceEnd, mappingStart, mappingEnd
        case scalar, alias
    }
    var kind: Kind
    var mark: Mark
    var end: Mark = Mark(line: 0, column: 0)
    var anchor: String?
    var tag: String?
    var value: String = ""
    var style: ScalarStyle = .plain
    /// A scalar's value contains `${`.
    var mayReference = false
}

/// Owns one `yaml_parser_t` (on the heap: libyaml keeps pointers into it) and the
/// input buffer, which must outlive the parse.
final class EventReader {
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    private let input: UnsafeMutableBufferPointer<UInt8>
    private let bytes: [UInt8]
    private let path: String

    init(bytes: [UInt8], path: String) {
        self.bytes = bytes
        self.path = path
        parser = .allocate(capacity: 1)
        input = .allocate(capacity: max(bytes.count, 1))
        _ = input.initialize(from: bytes)
        yaml_parser_initialize(parser)
        yaml_parser_set_input_string(parser, input.baseAddress, bytes.count)
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deallocate()
        input.deallocate()
    }

    func next() throws(YAMLError) -> Event {
        var raw = yaml_event_t()
        guard yaml_parser_parse(parser, &raw) == 1 else { throw currentError() }
        defer { yaml_event_delete(&raw) }
        let mark = Mark(line: Int(raw.start_mark.line) + 1, column: Int(raw.start_mark.column) + 1)
        var event = try event(raw, mark)
        event.end = Mark(line: Int(raw.end_mark.line) + 1, column: Int(raw.end_mark.column) + 1)
        return event
    }

    private func event(_ raw: yaml_event_t, _ mark: Mark) throws(YAMLError) -> Event {
        switch raw.type {
        case YAML_STREAM_START_EVENT: return Event(kind: .streamStart, mark: mark)
        case YAML_STREAM_END_EVENT: return Event(kind: .streamEnd, mark: mark)
        case YAML_DOCUMENT_START_EVENT: return Event(kind: .documentStart, mark: mark)
        case YAML_DOCUMENT_END_EVENT: return Event(kind: .documentEnd, mark: mark)
        case YAML_SEQUENCE_START_EVENT:
            let data = raw.data.sequence_start
            return Event(kind: .sequenceStart, mark: mark, anchor: cString(data.anchor), tag: cString(data.tag))
        case YAML_SEQUENCE_END_EVENT: return Event(kind: .sequenceEnd, mark: mark)
        case YAML_MAPPING_START_EVENT:
            let data = raw.data.mapping_start
            return Event(kind: .mappingStart, mark: mark, anchor: cString(data.anchor), tag: cString(data.tag))
        case YAML_MAPPING_END_EVENT: return Event(kind: .mappingEnd, mark: mark)
        case YAML_ALIAS_EVENT:
            return Event(kind: .alias, mark: mark, anchor: cString(raw.data.alias.anchor))
        case YAML_SCALAR_EVENT:
            let data = raw.data.scalar
            let bytes = UnsafeBufferPointer(start: data.value, count: Int(data.length))
            let value = String(decoding: bytes, as: UTF8.self)
            let style: ScalarStyle
            switch data.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: style = .literal
            case YAML_FOLDED_SCALAR_STYLE: style = .folded
            default: style = .plain
            }
            return Event(kind: .scalar, mark: mark, anchor: cString(data.anchor), tag: cString(data.tag), value: value, style: style,
                         mayReference: Node.containsDollarBrace(bytes))
        default:
            throw YAMLError(path: path, mark: mark, message: "unexpected YAML event")
        }
    }

    /// The 1-based line and column (in characters) of byte `offset`.
    static func mark(ofByte offset: Int, in bytes: [UInt8]) -> Mark {
        var line = 1
        var lineStart = 0
        for index in 0..<offset where bytes[index] == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        }
        // Columns count characters: UTF-8 continuation bytes do not start one.
        let column = bytes[lineStart..<offset].filter { $0 & 0xC0 != 0x80 }.count + 1
        return Mark(line: line, column: column)
    }

    private func cString(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }

    /// The parser's error, reworded where libyaml's words mislead (tabs).
    private func currentError() -> YAMLError {
        let state = parser.pointee
        var message = state.problem.map { String(cString: $0) } ?? "invalid YAML"
        if state.error == YAML_READER_ERROR {
            // Bad bytes (invalid UTF-8, control characters) are found while decoding the
            // input, before any mark is set: locate them by their byte offset instead.
            let offset = min(Int(state.problem_offset), bytes.count)
            let value = state.problem_value
            let hex = String(value & 0xFF, radix: 16, uppercase: true)
            let what = value >= 0 ? " (byte 0x\(hex.count == 1 ? "0" + hex : hex))" : ""
            return YAMLError(path: path, mark: Self.mark(ofByte: offset, in: bytes), message: message + what)
        }
        let problemMark = Mark(line: Int(state.problem_mark.line) + 1, column: Int(state.problem_mark.column) + 1)
        if let context = state.context.map({ String(cString: $0) }) {
            message += " (\(context))"
        }
        let line = sourceLine(problemMark.line)
        if line.contains("{") || line.contains("["), line.contains("${") || (line.contains("(") && line.contains(",")) {
            message += "; inside { } or [ ], a value with ${…}, a comma or parentheses must be quoted, e.g. type: \"decimal(18,2)\" or name: \"${var.catalog}.sales\""
        }
        if lineHasTabIndentation(problemMark.line) {
            message = "tab character used for indentation; YAML allows only spaces, so replace the tabs with spaces"
            let line = sourceLine(problemMark.line)
            let tabColumn = (line.firstIndex(of: "\t").map { line.distance(from: line.startIndex, to: $0) } ?? 0) + 1
            return YAMLError(path: path, mark: Mark(line: problemMark.line, column: tabColumn), message: message)
        }
        return YAMLError(path: path, mark: problemMark, message: message)
    }

    private func sourceLine(_ line: Int) -> Substring {
        let text = String(decoding: bytes, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return line - 1 < lines.count ? lines[line - 1] : ""
    }

    private func lineHasTabIndentation(_ line: Int) -> Bool {
        let text = sourceLine(line)
        return text.prefix { $0 == " " || $0 == "\t" }.contains("\t")
    }
}

/// Builds node trees from the event stream.
struct TreeBuilder {
    let reader: EventReader
    let path: String
    var anchors: [String: Node] = [:]
    /// Nodes each anchor's tree holds with its own aliases expanded.
    var anchorSizes: [String: Int] = [:]
    /// Nodes produced so far, aliases counted at the size of what they stand for.
    var produced = 0
    let budget: Int
    var depth = 0
    /// The items and pairs of the collections being built, innermost last. Each
    /// collection is moved out once, at its exact size, when it ends: an array grown
    /// one element at a time was reallocated two or three times for every mapping.
    let itemStack = MoveStack<Node>()
    let pairStack = MoveStack<Node.Pair>()

    init(reader: EventReader, path: String, budget: Int) {
        self.reader = reader
        self.path = path
        self.budget = budget
    }

    /// Counts `count` more nodes; past the budget, an error at `mark` naming `anchor`.
    private mutating func produce(_ count: Int, at mark: Mark, anchor: String? = nil) throws(YAMLError) {
        produced += count
        guard produced <= budget else {
            let what = anchor.map { "aliases of \"&\($0)\" expand" } ?? "the document expands"
            throw YAMLError(path: path, mark: mark, message: "\(what) to more than \(budget) nodes (the limit for a file of this size); an alias repeats its anchor's whole tree, so nested aliases multiply: write the values out or use fewer levels")
        }
    }

    mutating func stream() throws(YAMLError) -> [Document] {
        var documents: [Document] = []
        _ = try reader.next() // stream start
        while true {
            let event = try reader.next()
            switch event.kind {
            case .streamEnd:
                return documents
            case .documentStart:
                anchors = [:]
                anchorSizes = [:]
                let first = try reader.next()
                if first.kind == .documentEnd {
                    documents.append(Document(index: documents.count, root: nil, mark: event.mark))
                    continue
                }
                var root: Node? = try node(from: first)
                // libyaml reports an empty document (a trailing `---`) as an empty plain scalar.
                if case .scalar("", .plain)? = root?.content, root?.tag == nil { root = nil }
                let end = try reader.next()
                guard end.kind == .documentEnd else {
                    throw YAMLError(path: path, mark: end.mark, message: "expected the end of the document")
                }
                documents.append(Document(index: documents.count, root: root, mark: event.mark))
            default:
                throw YAMLError(path: path, mark: event.mark, message: "expected a document")
            }
        }
    }

    private mutating func node(from event: Event) throws(YAMLError) -> Node {
        let built: Node
        let before = produced
        switch event.kind {
        case .scalar:
            try produce(1, at: event.mark)
            built = Node(scalar: event.value, event.style, mark: event.mark, end: event.end, tag: event.tag, mayReference: event.mayReference)
        case .alias:
            guard let name = event.anchor, let target = anchors[name] else {
                throw YAMLError(path: path, mark: event.mark, message: "unknown alias \"*\(event.anchor ?? "")\"; define the anchor \"&\(event.anchor ?? "")\" before using it")
            }
            try produce(anchorSizes[name] ?? 1, at: event.mark, anchor: name)
            return target
        case .sequenceStart, .mappingStart:
            depth += 1
            defer { depth -= 1 }
            guard depth <= YAMLParser.maxDepth else {
                throw YAMLError(path: path, mark: event.mark, message: "collections nest more than \(YAMLParser.maxDepth) levels deep here; no manifest needs that many, so flatten the structure")
            }
            try produce(1, at: event.mark)
            built = try collection(from: event)
        default:
            throw YAMLError(path: path, mark: event.mark, message: "unexpected YAML structure")
        }
        if let anchor = event.anchor {
            anchors[anchor] = built
            anchorSizes[anchor] = produced - before
        }
        return built
    }

    private mutating func collection(from event: Event) throws(YAMLError) -> Node {
        let built: Node
        switch event.kind {
        case .sequenceStart:
            let base = itemStack.count
            var next = try reader.next()
            while next.kind != .sequenceEnd {
                let item = try node(from: next)
                itemStack.push(item)
                next = try reader.next()
            }
            let items = itemStack.pop(from: base)
            built = Node(.sequence(items), mark: event.mark, end: next.end, tag: event.tag)
        default:
            let (pairs, end) = try mapping()
            built = Node(.mapping(pairs), mark: event.mark, end: end, tag: event.tag)
        }
        return built
    }

    private mutating func mapping() throws(YAMLError) -> ([Node.Pair], Mark) {
        let base = pairStack.count
        var merged: [Node.Pair] = []
        // Most mappings have a handful of keys: a linear scan beats hashing each one;
        // past a few dozen, an index keeps a huge mapping linear, not quadratic.
        var index: [String: Mark] = [:]
        func first(_ text: String, in pairs: UnsafeBufferPointer<Node.Pair>) -> Mark? {
            if pairs.count <= 32 {
                for pair in pairs {
                    if case .scalar(let key, _) = pair.key.content, Node.sameKey(key, text) { return pair.key.mark }
                }
                return nil
            }
            if index.isEmpty {
                for pair in pairs { if let key = pair.key.scalarText, index[key] == nil { index[key] = pair.key.mark } }
            }
            return index[text]
        }
        var end = Mark(line: 0, column: 0)
        while true {
            let next = try reader.next()
            if next.kind == .mappingEnd { end = next.end; break }
            let key = try node(from: next)
            let value = try node(from: try reader.next())
            if case .scalar("<<", .plain) = key.content {
                merged += try mergeSources(value)
                continue
            }
            if let text = key.scalarText, let first = first(text, in: pairStack.elements(from: base)) {
                throw YAMLError(path: path, mark: key.mark, message: "duplicate key \"\(text)\" (first defined at line \(first.line)); remove one of them")
            }
            pairStack.push(Node.Pair(key: key, value: value))
            if !index.isEmpty, let text = key.scalarText { index[text] = key.mark }
        }
        // Merge keys: explicit keys win over merged ones; earlier sources win over later.
        for pair in merged {
            guard let text = pair.key.scalarText, first(text, in: pairStack.elements(from: base)) == nil else { continue }
            pairStack.push(pair)
            if !index.isEmpty { index[text] = pair.key.mark }
        }
        let pairs = pairStack.pop(from: base)
        return (pairs, end)
    }

    private func mergeSources(_ value: Node) throws(YAMLError) -> [Node.Pair] {
        switch value.content {
        case .mapping(let pairs): return pairs
        case .sequence(let items):
            var all: [Node.Pair] = []
            for item in items {
                guard let pairs = item.pairs else {
                    throw YAMLError(path: path, mark: item.mark, message: "a merge key \"<<\" takes a mapping or a list of mappings")
                }
                all += pairs
            }
            return all
        case .scalar:
            throw YAMLError(path: path, mark: value.mark, message: "a merge key \"<<\" takes a mapping or a list of mappings")
        }
    }
}

/// The items of the collections being built, innermost last. Each collection's items
/// are moved out into an array of their exact size when it ends, not copied: an array
/// slice copied out, then removed, retained and released every node once more.
final class MoveStack<Element> {
    private var storage: UnsafeMutablePointer<Element>
    private var capacity = 64
    private(set) var count = 0

    init() { storage = .allocate(capacity: capacity) }

    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }

    func push(_ element: consuming Element) {
        if count == capacity {
            let larger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
            larger.moveInitialize(from: storage, count: count)
            storage.deallocate()
            storage = larger
            capacity *= 2
        }
        (storage + count).initialize(to: element)
        count += 1
    }

    /// The elements from `base` on, in order; the stack keeps those below `base`.
    func pop(from base: Int) -> [Element] {
        precondition(base >= 0 && base <= count)
        let moved = count - base
        let elements = [Element](unsafeUninitializedCapacity: moved) { buffer, initialized in
            if moved > 0 { buffer.baseAddress!.moveInitialize(from: storage + base, count: moved) }
            initialized = moved
        }
        count = base
        return elements
    }

    /// The elements from `base` on, to read; valid until the next push or pop.
    func elements(from base: Int) -> UnsafeBufferPointer<Element> {
        UnsafeBufferPointer(start: storage + base, count: count - base)
    }
}
