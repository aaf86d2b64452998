import Model
import YAMLSource

/// Edits an environment file's text to pin its source revision, keeping the rest of
/// the file (comments, order, layout) as the team wrote it.
public enum EnvironmentEditor {
    public struct Failure: Error, Sendable {
        public var message: String
    }

    /// The text with `spec.source` set to `{ revision: <revision> }`.
    public static func pin(_ text: String, path: String, revision: String) throws(Failure) -> String {
        try setSource(text, path: path, to: .revision(revision))
    }

    /// The text with `spec.source` set to `source`: `{ revision: … }`, `{ branch: … }`,
    /// or, for `.current`, without `spec.source` (only a one-line `source:` is removed).
    public static func setSource(_ text: String, path: String, to wanted: SourceSpec) throws(Failure) -> String {
        let documents: [Document]
        do {
            documents = try YAMLParser.parse(text, path: path)
        } catch {
            throw Failure(message: "\(error)")
        }
        guard let root = documents.first(where: { $0.root != nil })?.root, let specPair = root.pairs?.first(where: { $0.key.scalarText == "spec" }),
              let specPairs = specPair.value.pairs else {
            throw Failure(message: "\(path) has no spec mapping to pin")
        }
        let pinned: String
        switch wanted {
        case .revision(let revision): pinned = "{ revision: \(revision) }"
        case .branch(let branch): pinned = "{ branch: \(branch) }"
        case .current: pinned = "(none)"
        }
        var edited: String
        if case .current = wanted {
            guard let source = specPairs.first(where: { $0.key.scalarText == "source" }) else { return text }
            let end = contentEnd(source.value, in: text)
            guard end.line == source.key.mark.line || (end.line == source.key.mark.line + 1 && end.column == 1) else {
                throw Failure(message: "\(path): spec.source spans several lines; remove it by hand to follow the revision reconcile runs on")
            }
            let start = text.index(offset(Mark(line: source.key.mark.line, column: 1), in: text), offsetBy: 0)
            let lineEnd = text[offset(source.key.mark, in: text)...].firstIndex(of: "\n").map { text.index(after: $0) } ?? text.endIndex
            edited = String(text[..<start]) + String(text[lineEnd...])
        } else if let source = specPairs.first(where: { $0.key.scalarText == "source" }) {
            let start = offset(source.key.end, in: text)
            let end = offset(contentEnd(source.value, in: text), in: text)
            edited = String(text[..<start]) + ": " + pinned + String(text[end...])
        } else {
            guard let first = specPairs.first, first.key.mark.line > specPair.key.mark.line else {
                throw Failure(message: "\(path): write spec as a block mapping (one field per line) so reconcile can pin its source")
            }
            let at = offset(first.key.mark, in: text)
            edited = String(text[..<at]) + "source: " + pinned + "\n" + String(repeating: " ", count: first.key.mark.column - 1) + String(text[at...])
        }
        // The edit must read back as intended.
        let project = path.range(of: SourceSet.environmentDirectory + "/", options: .backwards).map { String(path[..<$0.lowerBound]) } ?? ""
        let check = Loader.load(SourceSet(revision: "edit", shortRevision: "edit", files: [SourceFile(path: path, bytes: Array(edited.utf8))], project: project))
        guard check.diagnostics.isEmpty, let environment = check.environments.values.first, environment.source == wanted else {
            throw Failure(message: "pinning \(path) would not read back as \(pinned): \(check.diagnostics.map(\.description).joined(separator: "; "))")
        }
        return edited
    }

    /// Where a node's own text ends: for a block collection, the end of its last
    /// child (its end token sits at the next key, past comments that are not its own).
    static func contentEnd(_ node: Node, in text: String) -> Mark {
        guard isBlockCollection(node, in: text) else { return node.end }
        if let last = node.pairs?.last { return contentEnd(last.value, in: text) }
        if let last = node.items?.last { return contentEnd(last, in: text) }
        return node.end
    }

    static func isBlockCollection(_ node: Node, in text: String) -> Bool {
        guard node.pairs != nil || node.items != nil else { return false }
        let at = offset(node.mark, in: text)
        return at < text.endIndex && text[at] != "{" && text[at] != "["
    }

    /// The index of a 1-based line and column (in characters).
    static func offset(_ mark: Mark, in text: String) -> String.Index {
        var index = text.startIndex
        var line = 1
        while line < mark.line, let newline = text[index...].firstIndex(of: "\n") {
            index = text.index(after: newline)
            line += 1
        }
        if line < mark.line { return text.endIndex }
        return text.unicodeScalars.index(index, offsetBy: mark.column - 1, limitedBy: text.endIndex) ?? text.endIndex
    }
}
