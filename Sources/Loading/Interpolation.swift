import Model
import YAMLSource

/// Replaces `${var.NAME}` in every string scalar of a manifest with the environment's
/// variables. `$${` stands for a literal `${`. Any other `${…}` is an error, so a typo
/// never ships as literal text. A scalar that is exactly one `${var.NAME}` is
/// re-typed from the value (a number, a boolean), even when quoted.
struct Interpolation {
    let variables: [String: String]
    let environment: String
    let file: String
    let sink: DiagnosticSink
    /// Bytes the substituted scalars of one document may add up to: aliases repeat
    /// what they point at, so a long variable under many aliases could otherwise
    /// grow a small file into gigabytes.
    let budget = Budget(bytes: Interpolation.maxBytes)

    static let maxBytes = 16 << 20

    final class Budget {
        var remaining: Int
        var exceeded = false
        init(bytes: Int) { remaining = bytes }
    }

    func apply(_ node: Node) -> Node { changed(node) ?? node }

    /// The node with references substituted, or nil when it has none: most subtrees
    /// have none and are shared with the parsed document, not copied.
    private func changed(_ node: Node) -> Node? {
        guard node.mayReference else { return nil }
        switch node.content {
        case .scalar(let text, let style):
            // A scalar that is exactly one reference takes the value as if written
            // plain, so `"${var.rollout}"` can be a number and `"${var.on}"` a boolean.
            let whole = text.hasPrefix("${var.") && text.hasSuffix("}") && text.dropFirst(2).firstIndex(of: "}") == text.index(before: text.endIndex)
            guard !budget.exceeded else { return nil }
            let substituted = substitute(text, at: node.mark, style: style)
            budget.remaining -= substituted.utf8.count
            if budget.remaining < 0 {
                budget.exceeded = true
                sink.error(file, node.mark, "substituting variables in this document would produce more than \(Interpolation.maxBytes >> 20) MiB of text (aliases repeat what they point at); keep variables short, or use fewer references")
                return nil
            }
            var node = node
            node.content = .scalar(substituted, whole ? .plain : style)
            return node
        case .mapping(let pairs):
            var updated: [Node.Pair]?
            for (index, pair) in pairs.enumerated() {
                guard let value = changed(pair.value) else { continue }
                if updated == nil { updated = pairs }
                updated![index].value = value
            }
            guard let updated else { return nil }
            var node = node
            node.content = .mapping(updated)
            return node
        case .sequence(let items):
            var updated: [Node]?
            for (index, item) in items.enumerated() {
                guard let value = changed(item) else { continue }
                if updated == nil { updated = items }
                updated![index] = value
            }
            guard let updated else { return nil }
            var node = node
            node.content = .sequence(updated)
            return node
        }
    }


    /// `text` with each `${var.NAME}` replaced, read byte by byte: `$`, `{` and `}` are
    /// ASCII, so no cut splits a character's bytes (a generic substring search costs
    /// more than the rest of the substitution, and works on characters: a combining
    /// mark after `{` would hide a reference from it).
    private func substitute(_ text: String, at mark: Mark, style: ScalarStyle) -> String {
        let bytes = text.utf8
        var output = ""
        var copied = bytes.startIndex
        var index = bytes.startIndex
        while let dollar = bytes[index...].firstIndex(of: UInt8(ascii: "$")) {
            let open = bytes.index(after: dollar)
            guard open < bytes.endIndex, bytes[open] == UInt8(ascii: "{") else {
                index = open
                continue
            }
            let inside = bytes.index(after: open)
            if dollar > copied, bytes[bytes.index(before: dollar)] == UInt8(ascii: "$") {
                // `$${` is a literal `${`.
                output += String(decoding: bytes[copied..<bytes.index(before: dollar)], as: UTF8.self) + "${"
                (copied, index) = (inside, inside)
                continue
            }
            output += String(decoding: bytes[copied..<dollar], as: UTF8.self)
            guard let close = bytes[inside...].firstIndex(of: UInt8(ascii: "}")) else {
                report(text, dollar, mark, style, "unclosed \"${\" in \"\(text)\"; close it with \"}\", or write \"$${\" for a literal \"${\"")
                return text
            }
            let reference = String(decoding: bytes[inside..<close], as: UTF8.self)
            if reference.hasPrefix("var.") {
                let name = String(reference.dropFirst(4))
                if let value = variables[name] {
                    output += value
                } else {
                    let known = variables.keys.sorted()
                    let hint = Suggest.hint(for: name, in: known)
                    let list = hint.isEmpty ? (known.isEmpty ? "; it defines none" : "; it defines " + known.joined(separator: ", ")) : hint
                    report(text, dollar, mark, style,
                           "unknown variable \"\(name)\": environment \"\(environment)\" has no spec.variables.\(name)\(list)")
                }
            } else {
                report(text, dollar, mark, style, "unknown reference \"${\(reference)}\"; variables are written \"${var.NAME}\"")
            }
            (copied, index) = (bytes.index(after: close), bytes.index(after: close))
        }
        return output + String(decoding: bytes[copied...], as: UTF8.self)
    }

    /// Points at the reference itself when the scalar sits on one line.
    private func report(_ text: String, _ index: String.Index, _ mark: Mark, _ style: ScalarStyle, _ message: String) {
        let prefix = String(decoding: text.utf8[..<index], as: UTF8.self)
        var at = mark
        if !prefix.contains("\n"), style != .literal, style != .folded {
            at.column += prefix.count + (style == .plain ? 0 : 1)
        }
        sink.error(file, at, message)
    }
}
