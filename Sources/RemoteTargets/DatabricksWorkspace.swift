import Foundation
import Model
import Synchronization
import SparkTypes
import Runtime

/// A Databricks workspace: catalogs, schemas and tables observed through the Unity
/// Catalog API (listed per schema, paged) and changed by DDL on a SQL warehouse;
/// grants through the permissions API. Observation is scoped to the catalogs and
/// securables the environment declares or created, so a drift cycle over 500 tables
/// in 10 schemas takes a few dozen requests, not 500.
public final class DatabricksWorkspace: Target {
    public let host: String
    let warehouse: String
    let client: RESTClient
    /// The workspace folder holding this repository's files (pipeline libraries).
    let files: String
    public init(host: String, warehouse: String, auth: DatabricksAuth, files: String = "/Workspace/Shared/reconcile") {
        self.host = host
        self.warehouse = warehouse
        self.files = files
        let credentials = Credentials(host: host, auth: auth)
        client = RESTClient(base: host, name: "Databricks") { () async throws(RESTClient.Failure) in
            ["Authorization": "Bearer " + (try await credentials.bearer())]
        }
    }

    public var summary: String { "databricks \(host)" }
    public var requestCounts: [String: Int] { ["databricks \(host)": client.requests] }

    // MARK: Observe

    public func observe(scope: Set<ResourceID>) async throws(TargetError) -> [Resource] {
        var resources: [Resource] = []
        let everything = scope.contains(.everyCatalog)
        let declared = scope.filter { !$0.isScopeMarker }
        var catalogs = Set(declared.compactMap { [.grants, .pipeline, .model].contains($0.kind) ? nil : $0.parents.first?.name ?? ($0.kind == .catalog ? $0.name : nil) })
        if everything {
            for catalog in try await paged("/api/2.1/unity-catalog/catalogs", [:], key: "catalogs", pageSize: nil) {
                if let name = catalog["name"]?.stringValue { catalogs.insert(name) }
            }
        }
        // Functions are listed only where one is declared or owned (a request per schema).
        let functionCatalogs = Set(declared.filter { $0.kind == .function }.compactMap { $0.parents.first?.name })
        for catalog in catalogs.sorted() {
            guard let info = try await getIfExists("/api/2.1/unity-catalog/catalogs/\(escape(catalog))", nil) else { continue }
            resources.append(Resource(id: ResourceID(.catalog, catalog), spec: .catalog(namespace(info)), observation: Observation()))
            let schemas = try await paged("/api/2.1/unity-catalog/schemas", ["catalog_name": catalog], key: "schemas").filter {
                guard let name = $0["name"]?.stringValue else { return false }
                return name != "information_schema"
            }
            // The schemas' tables (and functions) are listed a few schemas at a time.
            let listFunctions = everything || functionCatalogs.contains(catalog)
            resources += try await boundedMap(schemas) { schema throws(TargetError) in
                try await self.observeSchema(schema, in: catalog, functions: listFunctions)
            }.flatMap { $0 }
        }
        resources = try await withTags(resources, markers: scope.compactMap(\.tagsMarker))
        resources += try await observePipelines(Set(scope.filter { $0.kind == .pipeline }.map(\.name)))
        resources += try await observeModels(scope.filter { $0.kind == .model }.map(\.name))
        for id in scope where id.kind == .grants {
            guard let securable = Securable(parsing: id.name),
                  let answer = try await getIfExists("/api/2.1/unity-catalog/permissions/\(securable.type.rawValue)/\(escape(securable.name))", id) else { continue }
            var grants: [String: Set<String>] = [:]
            if case .array(let assignments)? = answer["privilege_assignments"] {
                for assignment in assignments {
                    guard let principal = assignment["principal"]?.stringValue, case .array(let privileges)? = assignment["privileges"] else { continue }
                    grants[principal] = Set(privileges.compactMap(\.stringValue))
                }
            }
            if !grants.isEmpty {
                resources.append(Resource(id: id, spec: .grants(GrantsSpec(securable: securable, grants: grants)), observation: Observation()))
            }
        }
        return resources
    }

    /// A schema, its tables and (where asked) its functions.
    func observeSchema(_ schema: Value, in catalog: String, functions: Bool) async throws(TargetError) -> [Resource] {
        let name = schema["name"]?.stringValue ?? ""
        var resources = [Resource(id: ResourceID(.schema, "\(catalog).\(name)"), spec: .schema(namespace(schema)), observation: Observation())]
        for table in try await paged("/api/2.1/unity-catalog/tables", ["catalog_name": catalog, "schema_name": name], key: "tables") {
            guard let tableName = table["name"]?.stringValue else { continue }
            let id = ResourceID(.table, "\(catalog).\(name).\(tableName)")
            resources.append(Resource(id: id, spec: .table(try tableSpec(table, id)), observation: Observation()))
        }
        if functions { resources += try await observeFunctions(catalog: catalog, schema: name) }
        return resources
    }

    /// GET, with nil for 404 (the thing does not exist).
    func getIfExists(_ path: String, _ id: ResourceID?, query: [String: String] = [:]) async throws(TargetError) -> Value? {
        do {
            return try await client.send("GET", path, query: query)
        } catch where error.status == 404 {
            return nil
        } catch {
            throw TargetError(id, error.message)
        }
    }

    func escape(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? name
    }

    /// Every item of a paged list (`next_page_token`); `pageSize` as `max_results`.
    func paged(_ path: String, _ query: [String: String], key: String, pageSize: String? = "1000") async throws(TargetError) -> [Value] {
        var items: [Value] = []
        var token: String?
        repeat {
            var parameters = query
            if let pageSize { parameters["max_results"] = pageSize }
            if let token { parameters["page_token"] = token }
            let page: Value
            do { page = try await client.send("GET", path, query: parameters) } catch { throw TargetError(nil, error.message) }
            if case .array(let found)? = page[key] { items += found }
            token = page["next_page_token"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        return items
    }

    private func namespace(_ info: Value) -> NamespaceSpec {
        var properties: [String: String] = [:]
        if case .object(let fields)? = info["properties"] { properties = fields.compactMapValues(\.stringValue) }
        return NamespaceSpec(comment: info["comment"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }, owner: info["owner"]?.stringValue,
                             properties: properties)
    }

    /// Properties Databricks sets by itself; not part of what a manifest declares.
    static func isSystemProperty(_ key: String) -> Bool {
        key.hasPrefix("delta.feature.") || key.hasPrefix("delta.lastCommit") || key.hasPrefix("delta.lastUpdate")
            || ["delta.minReaderVersion", "delta.minWriterVersion"].contains(key)
    }

    private func tableSpec(_ table: Value, _ id: ResourceID) throws(TargetError) -> TableSpec {
        var columns: [(Int, Column)] = []
        var partitions: [(Int, String)] = []
        if case .array(let entries)? = table["columns"] {
            for (index, entry) in entries.enumerated() {
                guard let json = entry["type_json"]?.stringValue, let parsed = try? JSONSerialization.jsonObject(with: Data(json.utf8)) else {
                    throw TargetError(id, "column \(index) has no readable type_json")
                }
                do {
                    let field = try SparkSchema.structField(parsed)
                    let position = entry["position"].flatMap { if case .int(let p) = $0 { return p }; return nil } ?? index
                    var column = Column(name: field.name, type: field.type, nullable: field.nullable,
                                        comment: entry["comment"]?.stringValue ?? field.comment)
                    column.mask = Self.mask(entry)
                    columns.append((position, column))
                    if case .int(let partition)? = entry["partition_index"] { partitions.append((partition, field.name)) }
                } catch {
                    throw TargetError(id, "column \(index): \(error.message)")
                }
            }
        }
        var properties: [String: String] = [:], constraints: [String: String] = [:]
        var clusterBy: [String] = []
        if case .object(let fields)? = table["properties"] {
            for (key, value) in fields {
                guard let text = value.stringValue, !Self.isSystemProperty(key) else { continue }
                if key == "clusteringColumns" {
                    // Databricks shows liquid clustering keys as a property: [["a"],["b","c"]] (nested fields as paths).
                    guard let paths = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [[String]] else {
                        throw TargetError(id, "the clusteringColumns property \(text) is not a list of column paths")
                    }
                    clusterBy = paths.map { $0.joined(separator: ".") }
                    continue
                }
                if key.hasPrefix("delta.constraints.") { constraints[String(key.dropFirst(18))] = text } else { properties[key] = text }
            }
        }
        var spec = TableSpec(comment: table["comment"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 },
                             columns: columns.sorted { $0.0 < $1.0 }.map(\.1), partitionedBy: partitions.sorted { $0.0 < $1.0 }.map(\.1),
                             clusterBy: clusterBy, properties: properties, constraints: constraints,
                             location: table["table_type"]?.stringValue == "EXTERNAL" ? table["storage_location"]?.stringValue : nil)
        spec.rowFilter = Self.rowFilter(table)
        return spec
    }

    // MARK: Apply

    /// ALTER TABLE … SET NOT NULL and ADD CONSTRAINT verify the existing rows themselves,
    /// atomically with the change: a violation fails the statement and changes nothing.
    public func verify(_ checks: [DataCheck], of table: Resource) async throws(TargetError) -> [DataEvidence] {
        checks.map { _ in DataEvidence(.checkedByTarget) }
    }

    /// Remote tables' versions are not read back after a change: the version is left unknown.
    @discardableResult public func apply(_ change: Change) async throws(TargetError) -> AppliedChange {
        try await make(change)
        return .done
    }

    private func make(_ change: Change) async throws(TargetError) {
        switch change.id.kind {
        case .grants: try await applyGrants(change)
        case .pipeline: try await applyPipeline(change)
        case .model: try await applyModel(change)
        case .catalog, .schema, .table, .function:
            for statement in try DatabricksSQL.statements(for: change) {
                try await execute(statement, change.id)
            }
        case .featureFlag:
            throw TargetError(change.id, "a databricks target does not manage flags; route them to a local target with spec.targets.flags")
        }
    }

    /// Runs one statement on the warehouse and polls until it ends.
    func execute(_ statement: String, _ id: ResourceID) async throws(TargetError) {
        var answer: Value
        do {
            answer = try await client.send("POST", "/api/2.0/sql/statements", body: .object([
                "statement": .string(statement), "warehouse_id": .string(warehouse),
                "wait_timeout": "10s", "on_wait_timeout": "CONTINUE",
            ]))
        } catch {
            throw TargetError(id, error.status == 404 || error.code == "RESOURCE_DOES_NOT_EXIST"
                ? "SQL warehouse \(warehouse) does not exist on \(host) (\(error.message)); check the target's warehouse"
                : error.message)
        }
        var delay = 0.1
        while true {
            let state = answer["status"]?["state"]?.stringValue ?? "PENDING"
            switch state {
            case "SUCCEEDED":
                return
            case "FAILED", "CANCELED", "CLOSED":
                let error = answer["status"]?["error"]
                let sqlState = answer["status"]?["sql_state"]?.stringValue ?? error?["sql_state"]?.stringValue
                throw TargetError(id, "statement \(state.lowercased())\(sqlState.map { " (SQLSTATE \($0))" } ?? ""): \(error?["message"]?.stringValue ?? "no message"); it was: \(statement.split(separator: "\n").first ?? "")")
            default:
                guard let statementID = answer["statement_id"]?.stringValue else { throw TargetError(id, "the warehouse gave no statement_id") }
                try? await Task.sleep(for: .seconds(delay))
                delay = min(delay * 2, 2)
                do { answer = try await client.send("GET", "/api/2.0/sql/statements/\(statementID)") } catch { throw TargetError(id, error.message) }
            }
        }
    }

    private func applyGrants(_ change: Change) async throws(TargetError) {
        var old: [String: Set<String>] = [:], new: [String: Set<String>] = [:]
        var securable: Securable?
        var exclusive = false
        if case .grants(let spec)? = change.observed?.spec { old = spec.grants; securable = spec.securable }
        if case .grants(let spec)? = change.desired?.spec { new = spec.grants; securable = spec.securable; exclusive = spec.exclusive }
        guard let securable else { return }
        let principals = change.desired == nil || exclusive ? Set(old.keys).union(new.keys) : Set(new.keys)
        let changes: [Value] = principals.sorted().compactMap { principal in
            let add = (new[principal] ?? []).subtracting(old[principal] ?? []), remove = (old[principal] ?? []).subtracting(new[principal] ?? [])
            guard !add.isEmpty || !remove.isEmpty else { return nil }
            return .object(["principal": .string(principal), "add": .array(add.sorted().map(Value.string)), "remove": .array(remove.sorted().map(Value.string))])
        }
        guard !changes.isEmpty else { return }
        do {
            _ = try await client.send("PATCH", "/api/2.1/unity-catalog/permissions/\(securable.type.rawValue)/\(escape(securable.name))", body: .object(["changes": .array(changes)]))
        } catch {
            throw TargetError(change.id, error.message)
        }
    }
}

/// Resolves `${env:NAME}` / `${file:PATH}` references when needed, and caches OAuth
/// machine-to-machine tokens until shortly before they expire.
final class Credentials: Sendable {
    let host: String
    let auth: DatabricksAuth
    private let cached = Mutex<(token: String, until: Date)?>(nil)

    init(host: String, auth: DatabricksAuth) {
        self.host = host
        self.auth = auth
    }

    static func resolve(_ reference: String) throws(RESTClient.Failure) -> String {
        do throws(SecretReference.Failure) {
            return try SecretReference.resolve(reference, what: "the Databricks credential")
        } catch {
            throw RESTClient.Failure(status: nil, code: nil, message: error.message)
        }
    }

    func bearer() async throws(RESTClient.Failure) -> String {
        switch auth {
        case .token(let reference):
            return try Self.resolve(reference)
        case .oauth(let idReference, let secretReference):
            if let cached = cached.withLock({ $0 }), cached.until > Date() { return cached.token }
            let id = try Self.resolve(idReference), secret = try Self.resolve(secretReference)
            let basic = Data("\(id):\(secret)".utf8).base64EncodedString()
            let client = RESTClient(base: host, name: "Databricks OAuth") { () async throws(RESTClient.Failure) in ["Authorization": "Basic \(basic)"] }
            let answer = try await client.sendForm("POST", "/oidc/v1/token", form: ["grant_type": "client_credentials", "scope": "all-apis"])
            guard let token = answer["access_token"]?.stringValue else {
                throw RESTClient.Failure(status: nil, code: nil, message: "Databricks OAuth at \(host) returned no access_token")
            }
            let lifetime: Double = { if case .int(let seconds)? = answer["expires_in"] { return Double(seconds) }; return 3600 }()
            cached.withLock { $0 = (token, Date().addingTimeInterval(max(0, lifetime - 60))) }
            return token
        }
    }
}
