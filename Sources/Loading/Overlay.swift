import Model
import YAMLSource

/// An environment's patch to the manifests it selects (`spec.overlays`): a JSON merge
/// patch (RFC 7386) of `metadata.labels`, `metadata.annotations` and `spec`, applied
/// after variables are substituted. Patched values keep the environment file's
/// positions, so an error in one points at the overlay, not at the manifest.
struct Overlay: Sendable {
    var index: Int
    var kind: ResourceKind?
    /// A glob over the rendered full name: `*` any characters, `?` one.
    var name: String?
    var labels: [String: String]
    /// `select.tags`: every one must be on the resource or one of its columns.
    var tags: [String: String] = [:]
    var patch: Node
    var location: SourceLocation

    var selectorText: String {
        var parts: [String] = []
        if let kind { parts.append("kind \(kind.rawValue)") }
        if let name { parts.append("name \"\(name)\"") }
        for (key, value) in labels.sorted(by: { $0.key < $1.key }) { parts.append("label \(key)=\(value)") }
        for (key, value) in tags.sorted(by: { $0.key < $1.key }) { parts.append("tag \(key)=\(value)") }
        return parts.joined(separator: ", ")
    }

    func selects(kind: String, name: String, labels: [String: String], tags: Set<String> = []) -> Bool {
        if let wanted = self.kind, wanted.rawValue != kind { return false }
        if let pattern = self.name, !Self.glob(pattern, matches: name) { return false }
        return self.labels.allSatisfy { labels[$0.key] == $0.value } && self.tags.allSatisfy { tags.contains($0.key + "=" + $0.value) }
    }

    /// `*` matches any run of characters (dots included), `?` exactly one.
    static func glob(_ pattern: String, matches text: String) -> Bool {
        let p = Array(pattern), t = Array(text)
        var (pi, ti) = (0, 0)
        var star: Int?, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                pi += 1; ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi; mark = ti; pi += 1
            } else if let star {
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    /// `patch` merged into `base`: mappings merge key by key, `null` removes a key,
    /// anything else replaces.
    static func merge(_ base: Node, _ patch: Node) -> Node {
        guard case .mapping(var pairs) = base.content, case .mapping(let patches) = patch.content else { return patch }
        for change in patches {
            guard let key = change.key.scalarText else { continue }
            let existing = pairs.firstIndex { $0.key.scalarText == key }
            if change.value.isNull {
                if let existing { pairs.remove(at: existing) }
            } else if let existing {
                pairs[existing].value = merge(pairs[existing].value, change.value)
            } else {
                pairs.append(Node.Pair(key: change.key, value: change.value))
            }
        }
        var merged = base
        merged.content = .mapping(pairs)
        return merged
    }

    /// Every mark in `node` said to be in `file`.
    static func stamp(_ node: Node, file: String) -> Node {
        var node = node
        node.mark.file = file
        node.end.file = file
        switch node.content {
        case .scalar: break
        case .mapping(let pairs): node.content = .mapping(pairs.map { Node.Pair(key: stamp($0.key, file: file), value: stamp($0.value, file: file)) })
        case .sequence(let items): node.content = .sequence(items.map { stamp($0, file: file) })
        }
        return node
    }
}

extension Node {
    var isNull: Bool {
        guard case .scalar(let text, let style) = content, style == .plain else { return false }
        return text == "null" || text == "~" || text == "Null" || text == "NULL"
    }
}

extension EnvironmentDecoder {
    /// `spec.overlays`: each `{select: {kind, name, labels}, patch: {metadata, spec}}`.
    func decodeOverlays(_ spec: MappingReader) -> [Overlay] {
        var overlays: [Overlay] = []
        for (index, item) in (spec.sequence("overlays") ?? []).enumerated() {
            let path = "spec.overlays[\(index)]"
            guard let entry = MappingReader(item, file: file, fieldPath: path, subject: spec.subject, sink: sink) else { continue }
            defer { entry.finish() }
            // An overlay with any error is not applied: a broken selector could match everything.
            var valid = true
            var overlay = Overlay(index: index, kind: nil, name: nil, labels: [:], patch: Node(.mapping([]), mark: item.mark),
                                  location: entry.location(item))
            if !decodeSelect(entry, path: path, into: &overlay) { valid = false }
            guard let patchNode = entry.field("patch", required: true),
                  let patch = MappingReader(patchNode, file: file, fieldPath: entry.path("patch"), subject: spec.subject, sink: sink) else { continue }
            // Only metadata.labels, metadata.annotations and spec can be patched: a kind or a name cannot change.
            var kept: [Node.Pair] = []
            if let metadata = patch.mapping("metadata") {
                var metadataPairs: [Node.Pair] = []
                for key in ["labels", "annotations"] {
                    if metadata.mapping(key) != nil, let pair = metadata.node.pairs?.first(where: { $0.key.scalarText == key }) { metadataPairs.append(pair) }
                }
                if metadata.node.pairs?.count != metadataPairs.count { valid = false }
                metadata.finish()
                var node = metadata.node
                node.content = .mapping(metadataPairs)
                kept.append(Node.Pair(key: Node(.scalar("metadata", .plain), mark: metadata.node.mark), value: node))
            }
            if patch.mapping("spec") != nil, let pair = patchNode.pairs?.first(where: { $0.key.scalarText == "spec" }) { kept.append(pair) }
            if patchNode.pairs?.count != kept.count { valid = false }
            patch.finish()
            var filtered = patchNode
            filtered.content = .mapping(kept)
            overlay.patch = Overlay.stamp(filtered, file: file)
            if valid { overlays.append(overlay) }
        }
        return overlays
    }

    /// `select` of one overlay: kind, name, labels; false when anything is wrong
    /// (then the overlay is not applied).
    func decodeSelect(_ entry: MappingReader, path: String, into overlay: inout Overlay) -> Bool {
        guard let select = entry.mapping("select", required: true) else { return false }
        var valid = true
        if let kindNode = select.field("kind"), let text = select.stringValue(kindNode, select.path("kind")) {
            if let kind = ResourceKind(rawValue: text) {
                overlay.kind = kind
            } else {
                let kinds = ResourceKind.allCases.map(\.rawValue)
                valid = false
                select.error(kindNode, "\(select.path("kind")): unknown kind \"\(text)\"\(Suggest.hint(for: text, in: kinds)); known kinds: \(kinds.joined(separator: ", "))")
            }
        }
        overlay.name = select.string("name")
        if let labels = select.mapping("labels") {
            for pair in labels.node.pairs ?? [] {
                guard let key = pair.key.scalarText, let value = labels.stringValue(pair.value, labels.path(key)) else { continue }
                _ = labels.field(key)
                overlay.labels[key] = value
            }
            labels.finish()
        }
        if let tags = select.mapping("tags") {
            for pair in tags.node.pairs ?? [] {
                guard let key = pair.key.scalarText, let value = tags.stringValue(pair.value, tags.path(key)) else { continue }
                _ = tags.field(key)
                overlay.tags[key] = value
            }
            tags.finish()
        }
        if select.node.pairs?.isEmpty == true {
            valid = false
            select.error(select.node, "\(path).select is empty, so the overlay would patch every manifest; select by kind, name, labels or tags")
        }
        select.finish()
        return valid
    }
}
