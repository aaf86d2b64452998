import Model

/// Preview environments: an ephemeral copy of an environment for a pull request,
/// with its own place in every target, that manages only what it creates. Pure: an
/// environment in, the preview's environment (or why there cannot be one) out.
///
/// - A local target's root `<path>` becomes `<path>-preview-<name>` (a sibling).
/// - On Databricks, the variable `catalog` becomes `<catalog>_preview_<name>` (with
///   `-` as `_`), and every resource routed there must lie in that catalog.
/// - `spec.state.path` gets the same suffix before its extension.
/// - An MLflow registry has no namespace to copy into, so an environment routing
///   models to one cannot have previews.
/// - The preview reads the revision being planned, promotes nowhere, notifies nobody,
///   and never adopts: it prunes and destroys only what it created.
public enum Preview {
    /// What a preview's name may be: it becomes part of a directory and a catalog name.
    public static let nameRule = "1 to 40 lowercase letters, digits and single hyphens inside, like pr-123"

    public static func isValidName(_ name: String) -> Bool {
        guard (1...40).contains(name.count), !name.hasPrefix("-"), !name.hasSuffix("-"), !name.contains("--") else { return false }
        return name.allSatisfy { ($0.isASCII && $0.isLowercase && $0.isLetter) || ($0.isASCII && $0.isNumber) || $0 == "-" }
    }

    /// The preview's environment name: where it came from and what it is called.
    public static func environmentName(_ name: String, from base: String) -> String { "\(base)-preview-\(name)" }

    /// The suffix of a Databricks catalog (injective: names have no `_`).
    static func catalogSuffix(_ name: String) -> String { "_preview_" + name.replacingOccurrences(of: "-", with: "_") }

    /// The preview `name` of `base`, or every reason it cannot exist. `declared` are the
    /// repository's environments: the preview may share no name, root or state file with one.
    public static func derive(_ name: String, from base: Environment, declared: [Environment]) throws(ReconcileError) -> Environment {
        guard isValidName(name) else {
            throw ReconcileError("\"\(name)\" cannot name a preview: it must be \(nameRule)", kind: .invalid)
        }
        var problems: [String] = []
        var preview = base
        preview.name = environmentName(name, from: base.name)
        func derived(_ spec: TargetSpec, key: String) -> TargetSpec {
            switch spec {
            case .local(let path):
                guard let sibling = suffixed(path, "-preview-" + name) else {
                    problems.append("its \(key) target's path \"\(path)\" has no last directory to put a preview beside; name a directory (like .lakehouse/\(base.name))")
                    return spec
                }
                return .local(path: sibling)
            case .mlflow(let url):
                problems.append("it routes \(key) to the MLflow server \(url), whose registry has no namespace a preview could use: its models would change \(base.name)'s; route models to the local or Databricks target to preview them")
                return spec
            case .databricks:
                return spec
            }
        }
        preview.target = derived(base.target, key: "default")
        for key in base.routes.keys.sorted() { preview.routes[key] = derived(base.routes[key]!, key: key) }
        if base.allTargets.contains(where: { if case .databricks = $0 { return true }; return false }) {
            if let catalog = base.variables["catalog"], !catalog.isEmpty {
                preview.variables["catalog"] = catalog + catalogSuffix(name)
            } else {
                problems.append("it uses a Databricks target and has no spec.variables.catalog, so a preview has no catalog of its own to create its resources in; name the catalog ${var.catalog} in the manifests and set the variable")
            }
        }
        if let statePath = base.statePath {
            preview.statePath = suffixedFile(statePath, "-preview-" + name)
        }
        preview.source = .current
        preview.promotion = nil
        preview.notifications = []
        preview.windows = []  // they guard the base's targets; a preview has its own
        preview.policy.autoSync = false
        preview.policy.prune = true
        preview.policy.adopts = false
        problems += collisions(preview, declared: declared)
        guard problems.isEmpty else {
            throw ReconcileError(problems.map { .error(at: base.origin, "environment \(base.name) cannot have a preview: \($0)") }, kind: .invalid)
        }
        return preview
    }

    /// What in `resources` a preview on Databricks would create outside its own catalog
    /// (where `base` lives): a hard-coded catalog, or a pipeline whose workspace-wide
    /// name does not carry the preview's catalog.
    public static func outsideItsCatalog(_ resources: [Resource], preview: Environment) -> [Diagnostic] {
        guard let catalog = preview.variables["catalog"] else { return [] }
        var problems: [Diagnostic] = []
        for resource in resources {
            guard case .databricks = preview.target(for: resource.id.kind) else { continue }
            let inside: Bool
            switch resource.spec {
            case .pipeline(let pipeline):
                inside = pipeline.catalog == catalog && resource.id.name.contains(catalog)
            case .grants(let grants) where grants.securable.type == .pipeline:
                inside = grants.securable.name.contains(catalog)
            case .grants(let grants):
                inside = firstPart(grants.securable.name) == catalog
            default:
                inside = firstPart(resource.id.name) == catalog
            }
            if !inside {
                let fix = resource.id.kind == .pipeline || resource.id.kind == .grants
                    ? "a Databricks pipeline's name is workspace-wide: write it with ${var.catalog} (like ${var.catalog}-orders) and its spec.catalog as ${var.catalog}"
                    : "write its name as ${var.catalog}.…"
                problems.append(.error(at: resource.origin, "\(resource.id): lies outside the preview's catalog \(catalog), so the preview would change what \(preview.name) does not own; \(fix)"))
            }
        }
        return problems
    }

    static func firstPart(_ name: String) -> String { String(name.split(separator: ".", maxSplits: 1).first ?? "") }

    /// `path` with `suffix` on its last component; nil when it has none to suffix.
    static func suffixed(_ path: String, _ suffix: String) -> String? {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        let last = trimmed.split(separator: "/").last.map(String.init) ?? ""
        guard !last.isEmpty, last != ".", last != "..", trimmed != "/" else { return nil }
        return String(trimmed) + suffix
    }

    /// `dir/state.db` → `dir/state-preview-x.db`.
    static func suffixedFile(_ path: String, _ suffix: String) -> String {
        let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        if let dot = path[slash...].lastIndex(of: "."), dot > slash {
            return String(path[..<dot]) + suffix + String(path[dot...])
        }
        return path + suffix
    }

    /// A preview shares nothing with a declared environment: not its name, a local root
    /// (nor one inside the other), nor its state file.
    static func collisions(_ preview: Environment, declared: [Environment]) -> [String] {
        var problems: [String] = []
        let mine = preview.allTargets.compactMap { if case .local(let path) = $0 { return normalized(path) }; return nil }
        for other in declared {
            if other.name == preview.name {
                problems.append("an environment named \(preview.name) is declared already; choose another preview name")
                continue
            }
            for case .local(let path) in other.allTargets {
                let theirs = normalized(path)
                if let clash = mine.first(where: { $0 == theirs || $0.hasPrefix(theirs + "/") || theirs.hasPrefix($0 + "/") }) {
                    problems.append("the preview's root \(clash) overlaps environment \(other.name)'s root \(theirs); choose another preview name")
                }
            }
            if let state = preview.statePath, let theirs = other.statePath, normalized(state) == normalized(theirs) {
                problems.append("the preview's state file \(state) is environment \(other.name)'s; choose another preview name")
            }
        }
        return problems
    }

    static func normalized(_ path: String) -> String { SafePath.absolute(path, base: "/project") }
}
