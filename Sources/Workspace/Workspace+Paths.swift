import Foundation
import Model

extension Workspace {
    /// The directory relative paths in environment files resolve against: the
    /// project's directory in the working tree (where `environments/` is), whatever
    /// directory the command runs in. A bare repository (watch's mirror) has none:
    /// there it is the directory reconcile runs in.
    public var projectDirectory: String {
        guard let workdir = repository.workdir else { return FileManager.default.currentDirectoryPath }
        let root = workdir.hasSuffix("/") ? String(workdir.dropLast()) : workdir
        return project.isEmpty ? root : root + "/" + String(project.dropLast())
    }

    /// The environment with `target.path`, `state.path` and relative `${file:…}`
    /// references made absolute against the project directory; a root that resolves
    /// to a system directory is refused.
    func resolvingPaths(_ environment: Environment) throws(ReconcileError) -> Environment {
        var environment = environment
        let base = projectDirectory
        var problems: [Diagnostic] = []
        func resolve(_ spec: TargetSpec) -> TargetSpec {
            switch spec {
            case .local(let path):
                let absolute = SafePath.absolute(path, base: base)
                if let why = SafePath.refusal(absolute) {
                    problems.append(.error(at: environment.origin, "environment \(environment.name): spec.target.path \"\(path)\" resolves to \(absolute), which cannot be a lakehouse root: \(why)"))
                }
                return spec
            case .mlflow: return spec
            case .databricks(let host, let warehouse, let auth, let files):
                func reference(_ text: String) -> String {
                    guard text.hasPrefix("${file:"), text.hasSuffix("}") else { return text }
                    let path = String(text.dropFirst(7).dropLast())
                    return "${file:" + SafePath.absolute(path, base: base) + "}"
                }
                let resolved: DatabricksAuth
                switch auth {
                case .token(let token): resolved = .token(reference(token))
                case .oauth(let id, let secret): resolved = .oauth(clientId: reference(id), clientSecret: reference(secret))
                }
                return .databricks(host: host, warehouse: warehouse, auth: resolved, files: files)
            }
        }
        environment.target = resolve(environment.target)
        environment.routes = environment.routes.mapValues(resolve)
        if let statePath = environment.statePath {
            let absolute = SafePath.absolute(statePath, base: base)
            let directory = SafePath.absolute("..", base: absolute)
            if let why = SafePath.refusal(absolute) ?? (directory == "/" ? "it lies in the file system's root" : nil) {
                problems.append(.error(at: environment.origin, "environment \(environment.name): spec.state.path \"\(statePath)\" resolves to \(absolute), which cannot hold the state store: \(why)"))
            }
        }
        if !problems.isEmpty { throw ReconcileError(problems, kind: .invalid) }
        return environment
    }
}
