import Model
import YAMLSource

extension MappingReader {
    /// `tags: {key: value}` checked against Unity Catalog's rules, each problem at its
    /// key or value; nil when the field is absent (tags are then not managed).
    func tags() -> [String: String]? {
        guard node["tags"] != nil else { return nil }
        let entries = stringMap("tags")
        if entries.count > TagRules.maxTags, let node = node["tags"] {
            error(node, "\(path("tags")) has \(entries.count) tags; Unity Catalog allows at most \(TagRules.maxTags) on an object")
        }
        var tags: [String: String] = [:]
        for (key, entry) in entries.sorted(by: { $0.key < $1.key }) {
            if let problem = TagRules.keyProblem(key) {
                error(entry.keyNode, "\(path("tags")) key \"\(Identifier.shown(key))\": \(problem)")
                continue
            }
            if let problem = TagRules.valueProblem(entry.value) {
                error(entry.node, "\(path("tags")).\(key): \(problem)")
                continue
            }
            tags[key] = entry.value
        }
        return tags
    }
}
