import Model
import Runtime
import YAMLSource

/// Everything read from one revision: its environments, decoded, and its manifest
/// files, parsed when an environment is rendered (parse trees are several times the
/// size of the YAML, so none outlives the render that needed it).
public struct LoadedSource: Sendable {
    public var source: SourceSet
    /// The environments whose files decoded without an error.
    public var environments: [String: Environment]
    /// Diagnostics found while parsing and decoding environments.
    public var diagnostics: [Diagnostic]
    /// The errors of each environment file that did not decode cleanly, by the
    /// environment's name (its file's stem, and its declared name when readable). Such
    /// an environment is not in `environments`: nothing runs on a half-read file.
    public var brokenEnvironments: [String: [Diagnostic]] = [:]
    /// The files under manifests/, in order.
    var manifestFiles: [SourceFile]
    /// Each environment's `spec.overlays`, with its file.
    var overlays: [String: (file: String, overlays: [Overlay])] = [:]
    /// False once the manifests' bytes were let go to save memory: such a source still
    /// names its environments but cannot be rendered.
    public private(set) var hasDocuments = true

    /// This source without its manifests' bytes (kept by a long-running process next
    /// to the states rendered from it).
    public func withoutDocuments() -> LoadedSource {
        var light = self
        light.manifestFiles = []
        light.source.files = light.source.files.filter { source.isEnvironmentFile($0.path) }
        light.hasDocuments = false
        return light
    }
}

/// The manifests rendered for one environment.
public struct DesiredState: Sendable {
    public var environment: Environment
    /// The commit the manifests were read at (or `worktree`).
    public var revision: String
    public var shortRevision: String
    public var resources: [Resource]
    public var diagnostics: [Diagnostic]
    /// Library files the pipelines run, to check against the revision.
    public var libraries: [Reference]

    public init(environment: Environment, revision: String, shortRevision: String? = nil, resources: [Resource],
                diagnostics: [Diagnostic] = [], libraries: [Reference] = []) {
        self.environment = environment
        self.revision = revision
        self.shortRevision = shortRevision ?? String(revision.prefix(7))
        self.resources = resources
        self.diagnostics = diagnostics
        self.libraries = libraries
    }
}

public enum Loader {
    /// Parses and decodes the environment files; manifests wait for `render`.
    public static func load(_ source: SourceSet) -> LoadedSource {
        let sink = DiagnosticSink()
        var environments: [String: Environment] = [:]
        var overlays: [String: (file: String, overlays: [Overlay])] = [:]
        var manifestFiles: [SourceFile] = []
        var broken: [String: [Diagnostic]] = [:]
        for file in source.files {
            guard source.isEnvironmentFile(file.path) else {
                manifestFiles.append(file)
                continue
            }
            // Each file on its own sink: one error anywhere in it keeps the whole
            // environment from running (fail closed: no field falls back to a default).
            let fileSink = DiagnosticSink()
            let stem = Self.stem(file.path)
            var declared: String?
            if file.isSymbolicLink {
                fileSink.append(.error(at: SourceLocation(path: file.path, line: 1, column: 1),
                    "\(file.path) is a symbolic link; an environment file must be a regular file, so what git holds is what runs (copy the file instead of linking it)"))
            } else {
                let parsed: [Document]
                do throws(YAMLError) {
                    parsed = try YAMLParser.parse(file.bytes, path: file.path)
                } catch {
                    fileSink.error(error.path, error.mark, error.message)
                    parsed = []
                }
                let nonEmpty = parsed.filter { $0.root != nil }
                if nonEmpty.count != 1 && fileSink.diagnostics.isEmpty {
                    fileSink.append(.error(at: SourceLocation(path: file.path, line: 1, column: 1),
                                           "an environment file holds exactly one document, found \(nonEmpty.count)"))
                }
                if nonEmpty.count == 1, let root = nonEmpty.first?.root {
                    declared = root["metadata"]?["name"]?.scalarText
                    if let decoded = EnvironmentDecoder(file: file.path, sink: fileSink).decodeWithOverlays(root),
                       !fileSink.diagnostics.contains(where: { $0.severity == .error }) {
                        environments[decoded.environment.name] = decoded.environment
                        overlays[decoded.environment.name] = (file.path, decoded.overlays)
                    } else if !fileSink.diagnostics.contains(where: { $0.severity == .error }) {
                        fileSink.append(.error(at: SourceLocation(path: file.path, line: 1, column: 1), "\(file.path) does not describe an environment"))
                    }
                }
            }
            for diagnostic in fileSink.diagnostics { sink.append(diagnostic) }
            let errors = fileSink.diagnostics.filter { $0.severity == .error }
            if !errors.isEmpty {
                for name in Set([stem] + (declared.map { [$0] } ?? [])) { broken[name, default: []] += errors }
            }
        }
        var loaded = LoadedSource(source: source, environments: environments, diagnostics: sink.diagnostics, manifestFiles: manifestFiles, overlays: overlays)
        loaded.brokenEnvironments = broken
        return loaded
    }

    /// Renders the manifests for `environment`: substitutes its variables, decodes and
    /// validates every manifest, and reports duplicates.
    public static func render(_ loaded: LoadedSource, for environment: Environment, cache: DecodeCache? = nil) -> DesiredState {
        precondition(loaded.hasDocuments, "rendering a source whose manifests were let go; load the revision again")
        let sink = DiagnosticSink()
        var resources: [Resource] = []
        let environmentFile = loaded.overlays[environment.name]?.file ?? ""
        let overlays = (loaded.overlays[environment.name]?.overlays ?? []).map { overlay in
            var overlay = overlay
            overlay.patch = Interpolation(variables: environment.variables, environment: environment.name, file: environmentFile, sink: sink).apply(overlay.patch)
            return overlay
        }
        // Files parse and decode independently: on every core, each file with its own
        // sink; then merged in file order, so diagnostics and duplicates read the same.
        // A file whose blob was decoded for the same environment before is not read again.
        let context = DecodeCache.Context(environment: environment, file: environmentFile,
                                          fileBlob: loaded.source.files.first { $0.path == environmentFile }?.blob)
        var decodedParts = decodeParts(loaded.manifestFiles, context: context, cache: cache, sink: sink) { file, types in
            Self.decode([file], environment: environment, environmentFile: environmentFile, overlays: overlays, types: types)
        }
        var matched = Set<Int>()
        var references: [Reference] = []
        // The first declaration of each object, by its name as the catalog keeps it:
        // Unity Catalog stores names in lowercase, so two spellings are one object.
        // One lookup a resource: at 100,000 it ran alone on one core.
        var declared: [ResourceID: (id: ResourceID, origin: SourceLocation?)] = [:]
        // Sized once for every resource, and each file's part let go once merged: at
        // 100,000 manifests, a second copy of them all would be the peak of the load.
        let total = decodedParts.reduce(0) { $0 + $1.resources.count }
        resources.reserveCapacity(total)
        declared.reserveCapacity(total)
        decodedParts.reverse()
        while let part = decodedParts.popLast() {
            for diagnostic in part.diagnostics { sink.append(diagnostic) }
            references += part.references
            matched.formUnion(part.matched)
            for resource in part.resources {
                let key = resource.id.kind.descriptor.inNamespace ? ResourceID(resource.id.kind, resource.id.name.lowercased()) : resource.id
                var first: (id: ResourceID, origin: SourceLocation?)?
                // Looked up and, when new, inserted in one access to the table.
                func claim(_ slot: inout (id: ResourceID, origin: SourceLocation?)?) {
                    if let slot { first = slot } else { slot = (resource.id, resource.origin) }
                }
                claim(&declared[key])
                guard let first else {
                    resources.append(resource)
                    continue
                }
                if first.id == resource.id {
                    sink.append(.error(at: resource.origin, "duplicate resource \(resource.id): it is also declared at \(first.origin?.description ?? "?"); each resource is declared once per environment"))
                } else {
                    sink.append(.error(at: resource.origin, "\(resource.id) and \(first.id) (declared at \(first.origin?.description ?? "?")) differ only in case; Unity Catalog stores names in lowercase, so they would be one object: use one spelling"))
                }
            }
        }
        for overlay in overlays where !matched.contains(overlay.index) {
            sink.warning(overlay.location, "Environment/\(environment.name): spec.overlays[\(overlay.index)] (\(overlay.selectorText)) selects no manifest; check its kind, name pattern and labels")
        }
        let lineage = Lineage.check(resources: resources, references: references)
        // Environment files of another revision are not this run's: only manifest problems count.
        let parseProblems = loaded.diagnostics.filter { !loaded.source.isEnvironmentFile($0.location?.path ?? "") }
        return DesiredState(environment: environment, revision: loaded.source.revision, shortRevision: loaded.source.shortRevision,
                            resources: resources, diagnostics: parseProblems + sink.diagnostics + lineage,
                            libraries: references.filter { $0.kind == .library })
    }

    /// Each file's decoding, in file order: from the cache where its blob was decoded
    /// in this context, else decoded now, on every core; the cache keeps the result.
    static func decodeParts(_ files: [SourceFile], context: DecodeCache.Context, cache: DecodeCache?, sink: DiagnosticSink,
                            decode: @escaping @Sendable (SourceFile, TypeMemo) -> DecodedPart) -> [DecodedPart] {
        let cached = cache?.parts(in: context) ?? DecodeCache.Parts()
        var byIndex = files.map { cached.part(for: $0) }
        let hits = byIndex.count { $0 != nil }
        let unknown = files.indices.filter { byIndex[$0] == nil }
        let missing = readable(unknown.map { files[$0] }, sink: sink)
        let fresh = Parallel.map(missing, atMost: 512) { part in TypeMemo().sharing { types in part.map { decode($0, types) } } }
        for (index, part) in zip(unknown.filter { !files[$0].omitted }, fresh) { byIndex[index] = part }
        cache?.keep(reused: cached, fresh: Array(zip(missing, fresh)), current: hits + missing.count { $0.blob != nil }, of: files, in: context)
        return byIndex.compactMap { $0 }
    }

    /// `files` that were read. Never decodes a file that was not as if it were empty (its
    /// resources would vanish from the plan): an error; callers read again first (needsBytes).
    static func readable(_ files: [SourceFile], sink: DiagnosticSink) -> [SourceFile] {
        for file in files where file.omitted {
            sink.append(.error(at: SourceLocation(path: file.path, line: 1, column: 1), "internal error: \(file.path) was not read from git, and its decoding is not cached; nothing was planned from this revision"))
        }
        return files.filter { !$0.omitted }
    }

    /// Whether rendering `loaded` for `environment` needs bytes that were not read
    /// (a file whose decoding is not cached in this environment's context).
    public static func needsBytes(_ loaded: LoadedSource, for environment: Environment, cache: DecodeCache?) -> Bool {
        let omitted = loaded.manifestFiles.filter(\.omitted)
        guard !omitted.isEmpty else { return false }
        guard let cache else { return true }
        let environmentFile = loaded.overlays[environment.name]?.file ?? ""
        let context = DecodeCache.Context(environment: environment, file: environmentFile,
                                          fileBlob: loaded.source.files.first { $0.path == environmentFile }?.blob)
        let cached = cache.parts(in: context)
        return omitted.contains { cached.part(for: $0) == nil }
    }

    struct DecodedPart: Sendable {
        var resources: [Resource] = []
        var diagnostics: [Diagnostic] = []
        var references: [Reference] = []
        var matched: Set<Int> = []
    }

    /// Parses `files` and renders and decodes their documents for `environment`:
    /// variables, overlays, decoding. Each tree is dropped once decoded.
    static func decode(_ files: [SourceFile], environment: Environment, environmentFile: String, overlays: [Overlay], types: TypeMemo = TypeMemo()) -> DecodedPart {
        let sink = DiagnosticSink(types: types)
        let references = ReferenceCollector()
        var part = DecodedPart()
        for file in files {
            if file.isSymbolicLink {
                sink.append(.error(at: SourceLocation(path: file.path, line: 1, column: 1),
                    "\(file.path) is a symbolic link; manifests must be regular files, so what git holds is what is applied (copy the file instead of linking it)"))
                continue
            }
            let documents: [Document]
            do throws(YAMLError) {
                documents = try YAMLParser.parse(file.bytes, path: file.path)
            } catch {
                sink.error(error.path, error.mark, error.message)
                continue
            }
            for root in documents.compactMap(\.root) {
                let rendered = render(root, file: file.path, environment: environment, overlays: overlays, sink: sink, matched: &part.matched)
                var decoder = ManifestDecoder(file: file.path, sink: sink, references: references)
                if case .mlflow = environment.target(for: .model) { decoder.modelNames = .mlflow }
                if let resource = decoder.decode(rendered) {
                    part.resources.append(resource)
                }
            }
        }
        part.diagnostics = sink.diagnostics
        part.references = references.items
        return part
    }

    /// One document with the environment's variables substituted and the overlays
    /// that select it merged in.
    static func render(_ root: Node, file: String, environment: Environment, overlays: [Overlay], sink: DiagnosticSink, matched: inout Set<Int>) -> Node {
        var rendered = Interpolation(variables: environment.variables, environment: environment.name, file: file, sink: sink).apply(root)
        guard !overlays.isEmpty, let kind = rendered["kind"]?.scalarText, let name = rendered["metadata"]?["name"]?.scalarText else { return rendered }
        var labels: [String: String] = [:]
        for pair in rendered["metadata"]?["labels"]?.pairs ?? [] {
            if let key = pair.key.scalarText, let value = pair.value.scalarText { labels[key] = value }
        }
        // Tags anywhere in the spec (the resource's, or a column's) select it too.
        var tags: Set<String> = []
        let spec = rendered["spec"]
        for holder in [spec] + (spec?["columns"]?.items ?? []) {
            for pair in holder?["tags"]?.pairs ?? [] {
                if let key = pair.key.scalarText, let value = pair.value.scalarText { tags.insert(key + "=" + value) }
            }
        }
        for overlay in overlays where overlay.selects(kind: kind, name: name, labels: labels, tags: tags) {
            rendered = Overlay.merge(rendered, overlay.patch)
            matched.insert(overlay.index)
        }
        return rendered
    }

    /// Library files named by pipelines that `exists` says are not at the revision.
    public static func missingLibraries(_ state: DesiredState, revision: String, exists: (String) -> Bool) -> [Diagnostic] {
        state.libraries.filter { !exists($0.value) }.map {
            .error(at: $0.location, "\($0.from): \($0.field): library \"\($0.value)\" does not exist at revision \(revision); commit the file or fix the path")
        }
    }

    /// `environments/prod.yaml` -> `prod`.
    static func stem(_ path: String) -> String {
        let last = path.split(separator: "/").last.map(String.init) ?? path
        return last.hasSuffix(".yaml") ? String(last.dropLast(5)) : last.hasSuffix(".yml") ? String(last.dropLast(4)) : last
    }

    /// The environment named `name`; its file's errors when it did not decode cleanly,
    /// or an error listing the ones that exist.
    public static func environment(_ name: String, in loaded: LoadedSource) throws(DiagnosticsError) -> Environment {
        if let problems = loaded.brokenEnvironments[name] {
            throw DiagnosticsError(problems + [.error(at: nil, "environment \"\(name)\" cannot be used until its file is fixed: reconcile never runs an environment with defaults in place of what it could not read")])
        }
        if let environment = loaded.environments[name] { return environment }
        let known = Set(loaded.environments.keys).union(loaded.brokenEnvironments.keys).sorted()
        let list = known.isEmpty ? "no environments/*.yaml exist at revision \(loaded.source.shortRevision)" : "known environments: " + known.joined(separator: ", ")
        throw DiagnosticsError([.error(at: nil, "unknown environment \"\(name)\"\(Suggest.hint(for: name, in: known)); \(list)")])
    }
}
