import Foundation
import Model
import Runtime
import SQLite

/// The embedded catalog database (`<root>/catalog.db`, SQLite): what has no file
/// format of its own — grants, pipelines, models with versions, tags and aliases.
/// Observed state is read back from it on every plan, never kept in memory.
public final class CatalogDatabase {
    static let fileName = "catalog.db"

    let database: Database
    let displayPath: String
    let timeout: Int32

    static let schema = """
    CREATE TABLE IF NOT EXISTS grants (
        securable_type TEXT NOT NULL, securable_name TEXT NOT NULL, principal TEXT NOT NULL, privilege TEXT NOT NULL,
        PRIMARY KEY (securable_type, securable_name, principal, privilege));
    CREATE TABLE IF NOT EXISTS pipelines (
        name TEXT PRIMARY KEY, id TEXT NOT NULL, catalog TEXT NOT NULL, target TEXT NOT NULL,
        libraries TEXT NOT NULL, configuration TEXT NOT NULL, continuous INTEGER NOT NULL, development INTEGER NOT NULL,
        schedule_cron TEXT, schedule_timezone TEXT, produces TEXT NOT NULL, consumes TEXT NOT NULL,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS models (
        name TEXT PRIMARY KEY, description TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS model_tags (
        model TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (model, key));
    CREATE TABLE IF NOT EXISTS model_versions (
        model TEXT NOT NULL, version INTEGER NOT NULL, source TEXT NOT NULL, run_id TEXT, description TEXT,
        created_at INTEGER NOT NULL, PRIMARY KEY (model, version));
    CREATE TABLE IF NOT EXISTS model_version_tags (
        model TEXT NOT NULL, version INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (model, version, key));
    CREATE TABLE IF NOT EXISTS functions (
        name TEXT PRIMARY KEY, parameters TEXT NOT NULL, returns TEXT NOT NULL, body TEXT NOT NULL, comment TEXT,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS model_aliases (
        model TEXT NOT NULL, alias TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (model, alias));
    """

    /// How long to wait for another process's lock: `RECONCILE_DB_TIMEOUT_MS`, default 10 s.
    public static var defaultTimeout: Int32 {
        ProcessInfo.processInfo.environment["RECONCILE_DB_TIMEOUT_MS"].flatMap { Int32($0) } ?? 10_000
    }

    /// Opens the database in `root`; nil when it does not exist and `create` is false.
    static func open(root: URL, displayRoot: String, create: Bool, timeout: Int32) throws(TargetError) -> CatalogDatabase? {
        let url = root.appendingPathComponent(fileName)
        guard create || FileManager.default.fileExists(atPath: url.path) else { return nil }
        let display = "\(displayRoot)/\(fileName)"
        let database: Database
        do throws(SQLiteError) {
            database = try Database(path: url.path, busyTimeoutMilliseconds: timeout)
        } catch {
            throw TargetError(nil, "cannot open the catalog database \(display): \(error.message)")
        }
        let catalog = CatalogDatabase(database: database, displayPath: display, timeout: timeout)
        try catalog.run { () throws(SQLiteError) in try database.execute(schema) }
        return catalog
    }

    private init(database: Database, displayPath: String, timeout: Int32) {
        self.database = database
        self.displayPath = displayPath
        self.timeout = timeout
    }

    /// Runs a database call, turning a lock held too long into a clear error.
    func run<T>(_ id: ResourceID? = nil, _ body: () throws(SQLiteError) -> T) throws(TargetError) -> T {
        do {
            return try body()
        } catch {
            if error.isBusy {
                let seconds = String(format: "%.1f", Double(timeout) / 1000)
                throw TargetError(id, "the catalog database \(displayPath) is locked by another process; waited \(seconds) s. Let it finish (find it with: fuser \(displayPath)), then run again")
            }
            throw TargetError(id, "catalog database \(displayPath): \(error.message)")
        }
    }

    // MARK: Transactions for an apply

    func begin() throws(TargetError) { try run { () throws(SQLiteError) in try database.execute("BEGIN IMMEDIATE") } }
    func commit() throws(TargetError) {
        try run { () throws(SQLiteError) in try database.execute("COMMIT") }
        FaultInjection.step("catalog database transaction")
    }

    /// Runs one change's statements in a savepoint: all of them, or none. The
    /// change is committed at once (and the write lock taken again), so what the
    /// journal calls applied is durable.
    func change(_ id: ResourceID, _ body: () throws(SQLiteError) -> Void) throws(TargetError) {
        try run(id) { () throws(SQLiteError) in
            try database.execute("SAVEPOINT change")
            do throws(SQLiteError) {
                try body()
                try database.execute("RELEASE change")
            } catch {
                try? database.execute("ROLLBACK TO change")
                try? database.execute("RELEASE change")
                throw error
            }
            try database.execute("COMMIT")
            try database.execute("BEGIN IMMEDIATE")
        }
    }

    // MARK: Observe

    func observe() throws(TargetError) -> [Resource] {
        try run { () throws(SQLiteError) in try grants() + pipelines() + models() + functions() }
    }

    private func functions() throws(SQLiteError) -> [Resource] {
        try database.query("SELECT name, parameters, returns, body, comment FROM functions").map { row in
            let name = row[0].string ?? ""
            // A row that does not parse reads as a function nobody declared: the plan replaces it.
            let list = JSONColumn.readableStrings(row[1])
            let pairs = (list ?? []).map { $0.split(separator: " ", maxSplits: 1).map(String.init) }
            let parameters = pairs.compactMap { pair -> FunctionSpec.Parameter? in
                guard pair.count == 2, let type = try? DataType.parse(pair[1]) else { return nil }
                return FunctionSpec.Parameter(name: pair[0], type: type)
            }
            let returns = try? DataType.parse(row[2].string ?? "")
            // Unreadable parameters or return type must not read as a match (a function of
            // no parameters, or returning string): the body says so, so the plan differs.
            let readable = list != nil && parameters.count == pairs.count
            let unreadable = (readable ? "" : "(unreadable parameters) ") + (returns == nil ? "(unreadable return type) " : "")
            let spec = FunctionSpec(parameters: readable ? parameters : [], returns: returns ?? .string,
                                    body: unreadable + (row[3].string ?? ""), comment: row[4].string)
            return Resource(id: ResourceID(.function, name), spec: .function(spec), observation: Observation())
        }
    }

    private func grants() throws(SQLiteError) -> [Resource] {
        var bySecurable: [Securable: [String: Set<String>]] = [:]
        for row in try database.query("SELECT securable_type, securable_name, principal, privilege FROM grants") {
            guard let type = row[0].string.flatMap(Securable.Kind.init(rawValue:)), let name = row[1].string,
                  let principal = row[2].string, let privilege = row[3].string else { continue }
            bySecurable[Securable(type, name), default: [:]][principal, default: []].insert(privilege)
        }
        return bySecurable.map { securable, grants in
            Resource(id: GrantsSpec.resourceID(for: securable), spec: .grants(GrantsSpec(securable: securable, grants: grants)), observation: Observation())
        }
    }

    private func pipelines() throws(SQLiteError) -> [Resource] {
        try database.query("""
            SELECT name, catalog, target, libraries, configuration, continuous, development, schedule_cron, schedule_timezone, produces, consumes
            FROM pipelines
            """).map { row in
            let schedule = row[7].string.map { Schedule(cron: $0, timezone: row[8].string ?? "UTC") }
            let spec = PipelineSpec(
                catalog: row[1].string ?? "", target: row[2].string ?? "",
                libraries: JSONColumn.strings(row[3]), configuration: JSONColumn.map(row[4]),
                continuous: row[5].int == 1, schedule: schedule, development: row[6].int == 1,
                produces: JSONColumn.strings(row[9]), consumes: JSONColumn.strings(row[10]))
            return Resource(id: ResourceID(.pipeline, row[0].string ?? ""), spec: .pipeline(spec), observation: Observation())
        }
    }

    private func models() throws(SQLiteError) -> [Resource] {
        var specs: [String: ModelSpec] = [:]
        for row in try database.query("SELECT name, description FROM models") {
            specs[row[0].string ?? ""] = ModelSpec(description: row[1].string)
        }
        for row in try database.query("SELECT model, key, value FROM model_tags") {
            specs[row[0].string ?? ""]?.tags[row[1].string ?? ""] = row[2].string ?? ""
        }
        for row in try database.query("SELECT model, version, source, run_id, description FROM model_versions") {
            guard let number = row[1].int else { continue }
            specs[row[0].string ?? ""]?.versions[number] = ModelVersion(version: number, source: row[2].string ?? "", runId: row[3].string, description: row[4].string)
        }
        for row in try database.query("SELECT model, version, key, value FROM model_version_tags") {
            guard let number = row[1].int else { continue }
            specs[row[0].string ?? ""]?.versions[number]?.tags[row[2].string ?? ""] = row[3].string ?? ""
        }
        for row in try database.query("SELECT model, alias, version FROM model_aliases") {
            specs[row[0].string ?? ""]?.aliases[row[1].string ?? ""] = row[2].int
        }
        return specs.map { Resource(id: ResourceID(.model, $0.key), spec: .model($0.value), observation: Observation()) }
    }

    // MARK: Apply

    func apply(_ change: Change) throws(TargetError) {
        switch change.id.kind {
        case .grants, .pipeline, .model, .function: break
        case .catalog, .schema, .table, .featureFlag:
            throw TargetError(change.id, "internal error: the catalog database does not hold \(change.id.kind.plural)")
        }
        let now = SQLValue.int(Int64(Date().timeIntervalSince1970 * 1000))
        var unmatched = false
        try self.change(change.id) { () throws(SQLiteError) in
            switch (change.observed?.spec, change.desired?.spec) {
            case (let old, .grants(let new)?):
                var principals = Set(new.grants.keys)
                if new.exclusive, case .grants(let existing)? = old { principals.formUnion(existing.grants.keys) }
                for principal in principals.sorted() {
                    try revoke(new.securable, principal)
                    for privilege in (new.grants[principal] ?? []).sorted() {
                        try database.query("INSERT INTO grants VALUES (?, ?, ?, ?)", [.text(new.securable.type.rawValue), .text(new.securable.name), .text(principal), .text(privilege)])
                    }
                }
            case (.grants(let old)?, nil):
                for principal in old.grants.keys.sorted() { try revoke(old.securable, principal) }
            case (_, .pipeline(let spec)?):
                let created = change.action == .update ? try database.query("SELECT id, created_at FROM pipelines WHERE name = ?", [.text(change.id.name)]).first : nil
                try database.query("DELETE FROM pipelines WHERE name = ?", [.text(change.id.name)])
                try database.query("INSERT INTO pipelines VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                    .text(change.id.name), created?[0] ?? .text(UUID().uuidString.lowercased()), .text(spec.catalog), .text(spec.target),
                    JSONColumn.encode(spec.libraries), JSONColumn.encode(spec.configuration), SQLValue(spec.continuous), SQLValue(spec.development),
                    SQLValue(spec.schedule?.cron), SQLValue(spec.schedule?.timezone), JSONColumn.encode(spec.produces), JSONColumn.encode(spec.consumes),
                    created?[1] ?? now, now,
                ])
            case (.pipeline?, nil):
                try database.query("DELETE FROM pipelines WHERE name = ?", [.text(change.id.name)])
            case (_, .model(let spec)?):
                try writeModel(change.id.name, spec, now: now)
            case (.model?, nil):
                try deleteModel(change.id.name)
            case (_, .function(let spec)?):
                // CREATE OR REPLACE FUNCTION: the definition is replaced whole.
                let created = try database.query("SELECT created_at FROM functions WHERE name = ?", [.text(change.id.name)]).first?[0]
                try database.query("DELETE FROM functions WHERE name = ?", [.text(change.id.name)])
                try database.query("INSERT INTO functions VALUES (?, ?, ?, ?, ?, ?, ?)", [
                    .text(change.id.name), JSONColumn.encode(spec.parameters.map { "\($0.name) \($0.type.description)" }),
                    .text(spec.returns.description), .text(spec.body), SQLValue(spec.comment), created ?? now, now,
                ])
            case (.function?, nil):
                try database.query("DELETE FROM functions WHERE name = ?", [.text(change.id.name)])
            default:
                unmatched = true
            }
        }
        if unmatched { throw TargetError(change.id, "internal error: a \(change.action.rawValue) of \(change.id) without its spec") }
    }

    /// Dropping a securable drops the grants on it, as Unity Catalog does.
    func dropGrants(on securable: Securable) throws(TargetError) {
        try change(securable.resourceID) { () throws(SQLiteError) in
            try database.query("DELETE FROM grants WHERE securable_type = ? AND securable_name = ?", [.text(securable.type.rawValue), .text(securable.name)])
        }
    }

    private func revoke(_ securable: Securable, _ principal: String) throws(SQLiteError) {
        try database.query("DELETE FROM grants WHERE securable_type = ? AND securable_name = ? AND principal = ?",
                           [.text(securable.type.rawValue), .text(securable.name), .text(principal)])
    }

    private func writeModel(_ name: String, _ spec: ModelSpec, now: SQLValue) throws(SQLiteError) {
        let model = SQLValue.text(name)
        if try database.query("SELECT 1 FROM models WHERE name = ?", [model]).isEmpty {
            try database.query("INSERT INTO models VALUES (?, ?, ?, ?)", [model, SQLValue(spec.description), now, now])
        } else {
            try database.query("UPDATE models SET description = ?, updated_at = ? WHERE name = ?", [SQLValue(spec.description), now, model])
        }
        try database.query("DELETE FROM model_tags WHERE model = ?", [model])
        for (key, value) in spec.tags.sorted(by: { $0.key < $1.key }) {
            try database.query("INSERT INTO model_tags VALUES (?, ?, ?)", [model, .text(key), .text(value)])
        }
        // Aliases first: they point at versions.
        try database.query("DELETE FROM model_aliases WHERE model = ?", [model])
        let existing = try database.query("SELECT version, source, run_id FROM model_versions WHERE model = ?", [model])
        for row in existing {
            guard let number = row[0].int else { continue }
            let wanted = spec.versions[number]
            if wanted == nil || wanted?.source != row[1].string || wanted?.runId != row[2].string {
                try database.query("DELETE FROM model_versions WHERE model = ? AND version = ?", [model, .int(Int64(number))])
            }
        }
        try database.query("DELETE FROM model_version_tags WHERE model = ?", [model])
        for (number, version) in spec.versions.sorted(by: { $0.key < $1.key }) {
            let key: [SQLValue] = [model, .int(Int64(number))]
            if try database.query("SELECT 1 FROM model_versions WHERE model = ? AND version = ?", key).isEmpty {
                try database.query("INSERT INTO model_versions VALUES (?, ?, ?, ?, ?, ?)", key + [.text(version.source), SQLValue(version.runId), SQLValue(version.description), now])
            } else {
                try database.query("UPDATE model_versions SET description = ? WHERE model = ? AND version = ?", [SQLValue(version.description)] + key)
            }
            for (tag, value) in version.tags.sorted(by: { $0.key < $1.key }) {
                try database.query("INSERT INTO model_version_tags VALUES (?, ?, ?, ?)", key + [.text(tag), .text(value)])
            }
        }
        for (alias, number) in spec.aliases.sorted(by: { $0.key < $1.key }) {
            try database.query("INSERT INTO model_aliases VALUES (?, ?, ?)", [model, .text(alias), .int(Int64(number))])
        }
    }

    private func deleteModel(_ name: String) throws(SQLiteError) {
        for table in ["model_aliases", "model_version_tags", "model_versions", "model_tags", "models"] {
            try database.query("DELETE FROM \(table) WHERE \(table == "models" ? "name" : "model") = ?", [.text(name)])
        }
        try database.query("DELETE FROM grants WHERE securable_type = 'model' AND securable_name = ?", [.text(name)])
    }
}

/// Lists and maps stored as JSON text in a column.
enum JSONColumn {
    static func encode(_ value: Any) -> SQLValue {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("null".utf8)
        return .text(String(decoding: data, as: UTF8.self))
    }

    /// A JSON array of strings, or nil when the text is not one.
    static func readableStrings(_ value: SQLValue) -> [String]? {
        guard let text = value.string, let array = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Any] else { return nil }
        let strings = array.compactMap { $0 as? String }
        return strings.count == array.count ? strings : nil
    }

    /// A JSON array of strings; text that is not one reads as a list nothing declares
    /// (`(unreadable …)`), so it never matches a manifest and the plan rewrites it.
    static func strings(_ value: SQLValue) -> [String] {
        readableStrings(value) ?? [unreadable(value)]
    }

    /// A JSON object of strings; text that is not one reads as a map nothing declares.
    static func map(_ value: SQLValue) -> [String: String] {
        guard let text = value.string, let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return [unreadable(value): ""] }
        let strings = object.compactMapValues { $0 as? String }
        return strings.count == object.count ? strings : [unreadable(value): ""]
    }

    static func unreadable(_ value: SQLValue) -> String {
        "(unreadable: \(String((value.string ?? "empty").prefix(60))))"
    }
}
