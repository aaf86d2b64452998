import Foundation
import Model

/// Registered models in Unity Catalog: the model (`comment`), its versions'
/// comments, and aliases, through the Unity Catalog models API.
///
/// A Unity Catalog model version carries files uploaded to catalog-managed storage
/// when it is registered (`mlflow.register_model` with the `databricks-uc`
/// registry), which reconcile does not copy. So on Databricks a declared version
/// must already be registered: reconcile checks its source and run, sets its
/// description, and moves aliases, which is what promotion needs. Tags are not part
/// of this API; a model routed here with tags is refused, naming the field.
extension DatabricksWorkspace {
    func observeModels(_ names: [String]) async throws(TargetError) -> [Resource] {
        var resources: [Resource] = []
        for name in names.sorted() {
            let id = ResourceID(.model, name)
            guard let model = try await getIfExists("/api/2.1/unity-catalog/models/\(escape(name))", id, query: ["include_aliases": "true"]) else { continue }
            var spec = ModelSpec(description: model["comment"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 })
            if case .array(let aliases)? = model["aliases"] {
                for alias in aliases {
                    guard let aliasName = alias["alias_name"]?.stringValue, case .int(let version)? = alias["version_num"] else { continue }
                    spec.aliases[aliasName] = version
                }
            }
            for entry in try await paged("/api/2.1/unity-catalog/models/\(escape(name))/versions", [:], key: "model_versions", pageSize: "1000") {
                guard case .int(let number)? = entry["version"] else { continue }
                spec.versions[number] = ModelVersion(version: number, source: entry["source"]?.stringValue ?? "", runId: entry["run_id"]?.stringValue,
                                                     description: entry["comment"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 })
            }
            resources.append(Resource(id: id, spec: .model(spec), observation: Observation()))
        }
        return resources
    }

    func applyModel(_ change: Change) async throws(TargetError) {
        let id = change.id
        let path = "/api/2.1/unity-catalog/models/\(escape(id.name))"
        func send(_ method: String, _ path: String, _ body: Value? = nil) async throws(TargetError) {
            do { try await client.send(method, path, body: body) } catch { throw TargetError(id, error.message) }
        }
        guard case .model(let desired)? = change.desired?.spec else {
            try await send("DELETE", path)
            return
        }
        let parts = id.name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else {
            throw TargetError(id, "a Unity Catalog model needs a three-part name \"catalog.schema.model\"; rename the model or route models to an mlflow target")
        }
        if !desired.tags.isEmpty || desired.versions.values.contains(where: { !$0.tags.isEmpty }) {
            throw TargetError(id, "spec.tags and spec.versions[].tags cannot be set on Databricks: the Unity Catalog models API has no tags; remove them or route models to an mlflow target")
        }
        var observed = ModelSpec()
        if case .model(let spec)? = change.observed?.spec { observed = spec }
        for (number, version) in desired.versions.sorted(by: { $0.key < $1.key }) {
            guard let existing = observed.versions[number] else {
                throw TargetError(id, "version \(number) is not registered in Unity Catalog; register it with MLflow (registry URI \"databricks-uc\"), which uploads its files, then apply again to set its description and aliases")
            }
            if existing.source != version.source || (version.runId != nil && existing.runId != version.runId) {
                throw TargetError(id, "version \(number) in Unity Catalog comes from \(existing.source)\(existing.runId.map { " (run \($0))" } ?? ""), not \(version.source)\(version.runId.map { " (run \($0))" } ?? ""); a version's files cannot change: declare what is registered, or register a new version")
            }
        }

        if change.observed == nil {
            var body: [String: Value] = ["catalog_name": .string(parts[0]), "schema_name": .string(parts[1]), "name": .string(parts[2])]
            if let comment = desired.description { body["comment"] = .string(comment) }
            try await send("POST", "/api/2.1/unity-catalog/models", .object(body))
        } else if observed.description != desired.description {
            try await send("PATCH", path, .object(["comment": .string(desired.description ?? "")]))
        }
        for (number, version) in desired.versions.sorted(by: { $0.key < $1.key }) where observed.versions[number]?.description != version.description {
            try await send("PATCH", "\(path)/versions/\(number)", .object(["comment": .string(version.description ?? "")]))
        }
        for (alias, version) in desired.aliases.sorted(by: { $0.key < $1.key }) where observed.aliases[alias] != version {
            try await send("PUT", "\(path)/aliases/\(escape(alias))", .object(["version_num": .int(version)]))
        }
        for alias in observed.aliases.keys.sorted() where desired.aliases[alias] == nil {
            try await send("DELETE", "\(path)/aliases/\(escape(alias))")
        }
    }
}
