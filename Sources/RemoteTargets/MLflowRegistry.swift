import Foundation
import Model

/// Registered models in an MLflow tracking server's model registry, through its REST
/// API (the same one a Databricks workspace serves for its workspace registry).
/// Observation lists with the search endpoints, page by page: a handful of requests
/// whatever the number of models.
public final class MLflowRegistry: Target {
    let client: RESTClient
    public let url: String

    public init(url: String) {
        self.url = url
        client = RESTClient(base: url + "/api/2.0/mlflow", name: "MLflow")
    }

    public var summary: String { "mlflow \(url)" }
    public var requestCounts: [String: Int] { ["mlflow \(url)": client.requests] }

    // MARK: Observe

    public func observe(scope: Set<ResourceID>) async throws(TargetError) -> [Resource] {
        var specs: [String: ModelSpec] = [:]
        try await paged("/registered-models/search", key: "registered_models") { model in
            guard let name = model["name"]?.stringValue else { return }
            var spec = ModelSpec(description: Self.nonEmpty(model["description"]?.stringValue), tags: Self.tags(model["tags"]))
            if case .array(let aliases)? = model["aliases"] {
                for alias in aliases {
                    if let name = alias["alias"]?.stringValue, let version = Self.int(alias["version"]) { spec.aliases[name] = version }
                }
            }
            specs[name] = spec
        }
        try await paged("/model-versions/search", key: "model_versions") { version in
            guard let name = version["name"]?.stringValue, let number = Self.int(version["version"]), specs[name] != nil else { return }
            specs[name]?.versions[number] = ModelVersion(version: number, source: version["source"]?.stringValue ?? "",
                                                          runId: Self.nonEmpty(version["run_id"]?.stringValue),
                                                          description: Self.nonEmpty(version["description"]?.stringValue),
                                                          tags: Self.tags(version["tags"]))
        }
        return specs.map { Resource(id: ResourceID(.model, $0.key), spec: .model($0.value), observation: Observation()) }
    }

    private func paged(_ path: String, key: String, _ each: (Value) -> Void) async throws(TargetError) {
        var token: String?
        repeat {
            var query = ["max_results": "1000"]
            if let token { query["page_token"] = token }
            let page = try await call(nil, "GET", path, query: query)
            if case .array(let items)? = page[key] { items.forEach(each) }
            token = page["next_page_token"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
    }

    // MARK: Apply

    /// Remote tables' versions are not read back after a change: the version is left unknown.
    @discardableResult public func apply(_ change: Change) async throws(TargetError) -> AppliedChange {
        try await make(change)
        return .done
    }

    private func make(_ change: Change) async throws(TargetError) {
        let name = change.id.name
        switch change.action {
        case .delete:
            do {
                _ = try await client.send("DELETE", "/registered-models/delete", body: .object(["name": .string(name)]))
            } catch where error.code == "RESOURCE_DOES_NOT_EXIST" {
                return
            } catch {
                throw TargetError(change.id, error.message)
            }
        case .create, .update, .replace:
            guard case .model(let desired)? = change.desired?.spec else { throw TargetError(change.id, "internal error: not a model") }
            var current = ModelSpec()
            if case .model(let observed)? = change.observed?.spec {
                current = observed
            } else {
                do {
                    var body: [String: Value] = ["name": .string(name), "tags": Self.tagList(desired.tags)]
                    if let description = desired.description { body["description"] = .string(description) }
                    _ = try await client.send("POST", "/registered-models/create", body: .object(body))
                    current.tags = desired.tags
                    current.description = desired.description
                } catch where error.code == "RESOURCE_ALREADY_EXISTS" {
                    // Created by an earlier, interrupted run: carry on from what exists.
                    current = try await observeOne(name, change.id)
                } catch {
                    throw TargetError(change.id, error.message)
                }
            }
            try await sync(name, change.id, from: current, to: desired)
        }
    }

    private func observeOne(_ name: String, _ id: ResourceID) async throws(TargetError) -> ModelSpec {
        guard case .model(let spec)? = try await observe(scope: [id]).first(where: { $0.id.name == name })?.spec else { return ModelSpec() }
        return spec
    }

    /// Makes the model match: description and tags, then versions (aliases that
    /// point away first), then aliases.
    private func sync(_ name: String, _ id: ResourceID, from current: ModelSpec, to desired: ModelSpec) async throws(TargetError) {
        let model: Value = .string(name)
        if current.description != desired.description {
            try await call(id, "PATCH", "/registered-models/update", body: .object(["name": model, "description": .string(desired.description ?? "")]))
        }
        for (key, value) in desired.tags.sorted(by: { $0.key < $1.key }) where current.tags[key] != value {
            try await call(id, "POST", "/registered-models/set-tag", body: .object(["name": model, "key": .string(key), "value": .string(value)]))
        }
        for key in current.tags.keys.sorted() where desired.tags[key] == nil {
            try await call(id, "DELETE", "/registered-models/delete-tag", body: .object(["name": model, "key": .string(key)]))
        }
        for (alias, version) in current.aliases.sorted(by: { $0.key < $1.key }) where desired.aliases[alias] != version {
            try await call(id, "DELETE", "/registered-models/alias", query: ["name": name, "alias": alias], body: .object(["name": model, "alias": .string(alias)]))
        }
        for number in current.versions.keys.sorted() {
            let old = current.versions[number]!
            guard let new = desired.versions[number] else {
                try await call(id, "DELETE", "/model-versions/delete", body: .object(["name": model, "version": .string(String(number))]))
                continue
            }
            if old.source != new.source || old.runId != new.runId {
                throw TargetError(id, "version \(number)'s source or run changed, but MLflow versions are immutable and MLflow numbers new ones itself; declare the new source as a new version instead")
            }
            let version: Value = .string(String(number))
            if old.description != new.description {
                try await call(id, "PATCH", "/model-versions/update", body: .object(["name": model, "version": version, "description": .string(new.description ?? "")]))
            }
            for (key, value) in new.tags.sorted(by: { $0.key < $1.key }) where old.tags[key] != value {
                try await call(id, "POST", "/model-versions/set-tag", body: .object(["name": model, "version": version, "key": .string(key), "value": .string(value)]))
            }
            for key in old.tags.keys.sorted() where new.tags[key] == nil {
                try await call(id, "DELETE", "/model-versions/delete-tag", body: .object(["name": model, "version": version, "key": .string(key)]))
            }
        }
        for number in desired.versions.keys.sorted() where current.versions[number] == nil {
            let new = desired.versions[number]!
            var body: [String: Value] = ["name": model, "source": .string(new.source), "tags": Self.tagList(new.tags)]
            if let runId = new.runId { body["run_id"] = .string(runId) }
            if let description = new.description { body["description"] = .string(description) }
            let created = try await call(id, "POST", "/model-versions/create", body: .object(body))
            let assigned = Self.int(created["model_version"]?["version"])
            if assigned != number {
                throw TargetError(id, "MLflow registered the source of version \(number) as version \(assigned.map(String.init) ?? "?"); MLflow numbers versions itself, so declare versions in order, without gaps, from what the server has")
            }
        }
        for (alias, version) in desired.aliases.sorted(by: { $0.key < $1.key }) where current.aliases[alias] != version {
            try await call(id, "POST", "/registered-models/alias", body: .object(["name": model, "alias": .string(alias), "version": .string(String(version))]))
        }
    }

    @discardableResult
    private func call(_ id: ResourceID?, _ method: String, _ path: String, query: [String: String] = [:], body: Value? = nil) async throws(TargetError) -> Value {
        do {
            return try await client.send(method, path, query: query, body: body)
        } catch {
            throw TargetError(id, error.message)
        }
    }

    // MARK: Shapes

    static func tags(_ value: Value?) -> [String: String] {
        guard case .array(let items)? = value else { return [:] }
        var tags: [String: String] = [:]
        for item in items {
            guard let key = item["key"]?.stringValue, !key.hasPrefix("mlflow.") else { continue }
            tags[key] = item["value"]?.stringValue ?? ""
        }
        return tags
    }

    static func tagList(_ tags: [String: String]) -> Value {
        .array(tags.keys.sorted().map { .object(["key": .string($0), "value": .string(tags[$0]!)]) })
    }

    static func int(_ value: Value?) -> Int? {
        switch value {
        case .int(let number)?: return number
        case .string(let text)?: return Int(text)
        default: return nil
        }
    }

    static func nonEmpty(_ text: String?) -> String? { text.flatMap { $0.isEmpty ? nil : $0 } }
}
