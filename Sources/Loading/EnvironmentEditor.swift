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
        let pinned = "{ revision: \(revision) }"
        var edited: String
        if let source = specPairs.first(where: { $0.key.scalarText == "source" }) {
            let start = offset(source.key.end, in: text)
            let end = offset(source.value.end, in: text)
            var replacement = ": " + pinned
            if source.value.mark.line > source.key.mark.line || isBlockCollection(source.value, in: text) {
                // A block mapping ends where the next key starts: give back its line break and indentation.
                replacement += "\n" + String(repeating: " ", count: max(0, source.value.end.column - 1))
            }
            edited = String(text[..<start]) + replacement + String(text[end...])
        } else {
            guard let first = specPairs.first, first.key.mark.line > specPair.key.mark.line else {
                throw Failure(message: "\(path): write spec as a block mapping (one field per line) so reconcile can pin its source")
            }
            let at = offset(first.key.mark, in: text)
            edited = String(text[..<at]) + "source: " + pinned + "\n" + String(repeating: " ", count: first.key.mark.column - 1) + String(text[at...])
        }
        // The edit must read back as intended.
        let check = Loader.load(SourceSet(revision: "edit", shortRevision: "edit", files: [SourceFile(path: path, bytes: Array(edited.utf8))]))
        guard check.diagnostics.isEmpty, let environment = check.environments.values.first, environment.source == .revision(revision) else {
            throw Failure(message: "pinning \(path) would not read back as \(pinned): \(check.diagnostics.map(\.description).joined(separator: "; "))")
        }
        return edited
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
