import Model
import YAMLSource

/// Decodes a `Model` spec: versions with URI sources, aliases that point at
/// declared versions and are not reserved names.
struct ModelDecoder {
    let reader: MappingReader

    func decode() -> ModelSpec? {
        let description = reader.string("description")
        let tags = reader.stringMap("tags").mapValues(\.value)
        var versions: [Int: ModelVersion] = [:]
        var versionNodes: [Int: Node] = [:]
        for (index, item) in (reader.sequence("versions") ?? []).enumerated() {
            guard let fields = MappingReader(item, file: reader.file, item: index, of: "spec.versions", subject: reader.subject, sink: reader.sink) else { continue }
            defer { fields.finish() }
            guard let numberNode = fields.field("version", required: true) else { continue }
            guard case .int(let number)? = numberNode.scalar, number > 0 else {
                fields.error(numberNode, "\(fields.path("version")) must be a positive whole number, not \(numberNode.shapeName)")
                continue
            }
            if let first = versionNodes[number] {
                fields.error(numberNode, "version \(number) is declared twice (first at line \(first.mark.line))")
                continue
            }
            versionNodes[number] = numberNode
            guard let sourceNode = fields.field("source", required: true), let source = fields.stringValue(sourceNode, fields.path("source")) else { continue }
            if !Self.isURI(source) {
                fields.error(sourceNode, "\(fields.path("source")) \"\(source)\" is not a URI; write where the model's files are, e.g. \"s3://bucket/path\", \"runs:/<run id>/model\" or \"file:///path\"")
            }
            let runId = fields.string("runId")
            let versionDescription = fields.string("description")
            let versionTags = fields.stringMap("tags").mapValues(\.value)
            versions[number] = ModelVersion(version: number, source: source, runId: runId, description: versionDescription, tags: versionTags)
        }
        var aliases: [String: Int] = [:]
        if let aliasesNode = reader.field("aliases"), let pairs = aliasesNode.pairs {
            for pair in pairs {
                guard let alias = pair.key.scalarText else { continue }
                if Self.isReserved(alias) {
                    reader.error(pair.key, "alias \"\(alias)\" is reserved (\"latest\" and \"v<number>\" name versions already); choose another name such as \"champion\"")
                    continue
                }
                if !Identifier.isSlug(alias) {
                    reader.error(pair.key, "invalid alias \"\(Identifier.shown(alias))\"; \(Identifier.slugRule)")
                    continue
                }
                guard case .int(let number)? = pair.value.scalar else {
                    reader.error(pair.value, "alias \"\(alias)\" must name a version number, not \(pair.value.shapeName)")
                    continue
                }
                if versions[number] == nil && versionNodes[number] == nil {
                    let declared = versions.keys.sorted().map(String.init).joined(separator: ", ")
                    reader.error(pair.value, "alias \"\(alias)\" points at version \(number), which is not declared in spec.versions (declared: \(declared.isEmpty ? "none" : declared))")
                    continue
                }
                aliases[alias] = number
            }
        } else if let node = reader.node["aliases"], node.scalar != .null {
            reader.error(node, "spec.aliases must be a mapping of alias names to version numbers")
        }
        reader.finish()
        return ModelSpec(description: description, tags: tags, versions: versions, aliases: aliases)
    }

    static func isReserved(_ alias: String) -> Bool {
        let lowered = alias.lowercased()
        return lowered == "latest" || (lowered.hasPrefix("v") && lowered.count > 1 && lowered.dropFirst().allSatisfy(\.isNumber))
    }

    /// `scheme:rest`, with an RFC 3986 scheme.
    static func isURI(_ text: String) -> Bool {
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else { return false }
        let scheme = text[..<colon]
        guard let first = scheme.first, first.isASCII, first.isLetter else { return false }
        return scheme.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) } && text.index(after: colon) < text.endIndex
    }
}
