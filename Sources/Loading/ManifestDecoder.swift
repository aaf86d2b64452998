import Foundation
import Model
import YAMLSource

/// Turns one YAML document into a `Resource`, reporting every problem it finds.
struct ManifestDecoder {
    static let apiVersion = "reconcile/v1"
    static let manifestKinds = ResourceKind.allCases.map(\.rawValue)

    let file: String
    let sink: DiagnosticSink
    var references = ReferenceCollector()
    /// How models are named where they are registered: Unity Catalog's three parts
    /// (the local lakehouse, Databricks), or MLflow's registered-model names.
    var modelNames: ModelNames = .unityCatalog

    enum ModelNames { case unityCatalog, mlflow }

    static let mlflowNameRule = "1 to 255 characters without \"/\", \":\", \"%\", control characters or surrounding spaces"

    func decode(_ root: Node) -> Resource? {
        guard let document = MappingReader(root, file: file, fieldPath: "", subject: "", sink: sink) else { return nil }
        checkAPIVersion(document)
        guard let kindNode = document.field("kind", required: true), let kindName = document.stringValue(kindNode, "kind") else {
            return nil
        }
        guard let kind = ResourceKind(rawValue: kindName) else {
            if kindName == "Environment" {
                document.error(kindNode, "an Environment belongs in environments/<name>.yaml, not under manifests/")
            } else {
                document.error(kindNode, "unknown kind \"\(kindName)\"\(Suggest.hint(for: kindName, in: Self.manifestKinds)); known kinds: \(Self.manifestKinds.joined(separator: ", "))")
            }
            return nil
        }
        guard let metadata = document.mapping("metadata", required: true),
              let nameNode = metadata.field("name", required: true),
              let name = metadata.stringValue(nameNode, "metadata.name") else {
            return nil
        }
        var id = ResourceID(kind, name)
        let subject = "\(id): "
        checkName(name, kind: kind, at: nameNode)
        let labels = sink.shared(metadata.stringMap("labels").mapValues(\.value))
        let annotations = metadata.stringMap("annotations", lists: [Resource.ignoreAnnotation])
        if let ignore = annotations[Resource.ignoreAnnotation] {
            for pointer in ignore.value.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !pointer.hasPrefix("/") {
                metadata.error(ignore.node, "annotation \(Resource.ignoreAnnotation): \"\(pointer)\" is not a JSON pointer; write fields as /properties/owner or /columns/email/comment")
            }
        }
        if let protect = annotations[Resource.protectAnnotation], !["true", "false"].contains(protect.value) {
            metadata.error(protect.node, "annotation \(Resource.protectAnnotation) must be \"true\" or \"false\", not \"\(protect.value)\"")
        }
        metadata.finish()

        let specNode = document.field("spec", required: ![.catalog, .schema].contains(kind))
        document.finish()
        let empty = Node(.mapping([]), mark: root.mark)
        guard let specReader = MappingReader(specNode ?? empty, file: file, fieldPath: "spec", subject: subject, sink: sink) else {
            return nil
        }
        let spec: ResourceSpec?
        switch kind {
        case .catalog: spec = .catalog(namespace(specReader))
        case .schema: spec = .schema(namespace(specReader))
        case .table: spec = TableDecoder(reader: specReader, references: references, from: id).decode().map(ResourceSpec.table)
        case .function: spec = FunctionDecoder(reader: specReader).decode().map(ResourceSpec.function)
        case .pipeline: spec = PipelineDecoder(reader: specReader, references: references, from: id).decode().map(ResourceSpec.pipeline)
        case .grants:
            let grants = GrantsDecoder(reader: specReader).decode()
            if let grants { id = GrantsSpec.resourceID(for: grants.securable) }
            spec = grants.map(ResourceSpec.grants)
        case .featureFlag: spec = FlagDecoder(reader: specReader).decode().map(ResourceSpec.featureFlag)
        case .model: spec = ModelDecoder(reader: specReader).decode().map(ResourceSpec.model)
        }
        guard let spec else { return nil }
        return Resource(id: id, spec: spec, labels: labels, annotations: annotations.mapValues(\.value),
                        origin: SourceLocation(path: file, line: root.mark.line, column: root.mark.column))
    }

    func checkAPIVersion(_ document: MappingReader) {
        guard let node = document.field("apiVersion", required: true), let version = document.stringValue(node, "apiVersion") else { return }
        if version != Self.apiVersion {
            document.error(node, "unsupported apiVersion \"\(version)\"; use \"\(Self.apiVersion)\"")
        }
    }

    private func checkName(_ name: String, kind: ResourceKind, at node: Node) {
        if kind == .model, modelNames == .mlflow {
            // MLflow's rules: any non-empty name without "/", ":" or "%" (it uses them in
            // paths and URIs), no surrounding spaces, no control characters.
            if name.isEmpty || name.count > 255 || name.contains(where: { "/:%".contains($0) || $0.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } })
                || name != name.trimmingCharacters(in: .whitespaces) {
                sink.error(file, node.mark, "\(kind.rawValue)/\(Identifier.shown(name)): invalid MLflow model name \"\(Identifier.shown(name))\"; MLflow names are \(Self.mlflowNameRule)")
            }
            return
        }
        guard let expected = kind.nameParts else {
            if !Identifier.isSlug(name) {
                sink.error(file, node.mark, "\(kind.rawValue)/\(Identifier.shown(name)): invalid name \"\(Identifier.shown(name))\"; \(Identifier.slugRule)")
            }
            return
        }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == expected else {
            let shape = ["catalog", "catalog.schema", "catalog.schema.\(kind.rawValue.lowercased())"][expected - 1]
            let mlflow = kind == .model ? "; a model keeps an MLflow name like \"fraud-detector\" only where the environment routes models to an mlflow target (spec.targets.models)" : ""
            sink.error(file, node.mark, "\(kind.rawValue)/\(name): metadata.name must be the full name \"\(shape)\" (\(expected) part\(expected == 1 ? "" : "s") separated by dots), not \"\(name)\"\(mlflow)")
            return
        }
        for part in parts where !Identifier.isValid(part) {
            sink.error(file, node.mark, "\(kind.rawValue)/\(Identifier.shown(name)): invalid identifier \"\(Identifier.shown(part))\" in metadata.name; \(Identifier.rule)")
        }
    }

    private func namespace(_ spec: MappingReader) -> NamespaceSpec {
        let result = NamespaceSpec(
            comment: spec.string("comment"),
            owner: spec.string("owner"),
            properties: spec.stringMap("properties").mapValues(\.value),
            tags: spec.tags())
        spec.finish()
        return result
    }
}
