import Foundation
import Model
import SparkTypes
import Runtime
import Synchronization

/// The embedded lakehouse: a directory that is a real lakehouse.
///
/// ```
/// <root>/<catalog>/_catalog.json
/// <root>/<catalog>/<schema>/_schema.json
/// <root>/<catalog>/<schema>/<table>/_delta_log/00000000000000000000.json
/// <root>/catalog.db        grants, pipelines, models (SQLite)
/// <root>/flags.json        feature flags, in flagd's format
/// <root>/.reconcile/state.db   history, inventory, locks, journal (SQLiteState)
/// <root>/.trash/…          deleted namespaces and tables, kept for recovery
/// ```
public struct LocalLakehouse: Target {
    public let root: URL
    /// The root as the user wrote it, for messages.
    public let displayRoot: String
    /// The catalog database of the apply in progress, holding its write lock.
    private let session = Session()

    final class Session: Sendable {
        let catalog = Mutex<CatalogDatabase?>(nil)
    }

    static let catalogFile = "_catalog.json"
    static let schemaFile = "_schema.json"
    static let engineInfo = "reconcile/0.1"

    /// How long to wait for another process's lock on the catalog database.
    public let lockTimeoutMilliseconds: Int32

    public init(path: String, relativeTo base: URL, lockTimeoutMilliseconds: Int32 = CatalogDatabase.defaultTimeout) {
        self.lockTimeoutMilliseconds = lockTimeoutMilliseconds
        displayRoot = path
        root = path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)
    }

    public var summary: String { "local \(displayRoot)" }

    // MARK: Observe

    /// A local lakehouse reads everything it holds: a scope narrows nothing.
    public func observe(scope: Set<ResourceID>) throws(TargetError) -> [Resource] { try observe() }

    public func observe() throws(TargetError) -> [Resource] {
        var resources: [Resource] = []
        var tables: [TableLocation] = []
        // Schema directories held open while observing, so that each table's two `stat`
        // calls walk two path components, not the whole path; bounded (past the bound,
        // absolute paths).
        var schemaDirectories: [Int32] = []
        defer { for descriptor in schemaDirectories { close(descriptor) } }
        for catalog in subdirectories(root) {
            let catalogURL = root.appendingPathComponent(catalog)
            resources.append(Resource(id: ResourceID(.catalog, catalog),
                                      spec: .catalog(try readNamespace(catalogURL.appendingPathComponent(Self.catalogFile), ResourceID(.catalog, catalog))),
                                      observation: Observation()))
            for schema in subdirectories(catalogURL) {
                let schemaURL = catalogURL.appendingPathComponent(schema)
                let schemaID = ResourceID(.schema, "\(catalog).\(schema)")
                resources.append(Resource(id: schemaID, spec: .schema(try readNamespace(schemaURL.appendingPathComponent(Self.schemaFile), schemaID)),
                                          observation: Observation()))
                let schemaPath = schemaURL.path
                // A table is a directory with a _delta_log directory (checked on every
                // core, below); the listing says which entries are directories.
                let entries = (Files.entries(in: schemaPath) ?? []).filter { !$0.name.hasPrefix(".") && !$0.name.hasPrefix("_") && ($0.isDirectory || !$0.typeKnown) }
                var directory = AT_FDCWD
                if !entries.isEmpty, schemaDirectories.count < Self.openSchemaDirectories {
                    let descriptor = open(schemaPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                    if descriptor >= 0 { schemaDirectories.append(descriptor); directory = descriptor }
                }
                for table in entries.map(\.name).sorted() {
                    let logPath = schemaPath + "/" + table + "/_delta_log"
                    tables.append(TableLocation(id: ResourceID(.table, "\(catalog).\(schema).\(table)"), logPath: logPath,
                                                directory: directory, relative: directory == AT_FDCWD ? logPath : table + "/_delta_log"))
                }
            }
        }
        // Tables read independently: on every core, in order. A log proven unchanged
        // needs no other check (two stats); else a directory without a _delta_log
        // directory is not a table.
        // The resource is made there too (a table's spec is built from its log's metadata).
        let observed = Parallel.map(tables, atMost: 512) { part in part.map(Self.observe(_:)) }
        SnapshotCache.shared.forget(under: root.path, except: Set(tables.map(\.logPath)))
        resources.reserveCapacity(resources.count + tables.count)
        for result in observed {
            if let table = try result.get() { resources.append(table) }
        }
        if let catalog = try CatalogDatabase.open(root: root, displayRoot: displayRoot, create: false, timeout: lockTimeoutMilliseconds) {
            resources += try catalog.observe()
        }
        resources += try flagFile.observe()
        return resources
    }

    /// One table: proven unchanged (two `stat` calls), or its log read; nil for a
    /// directory without a `_delta_log` directory (not a table).
    static func observe(_ table: TableLocation) -> Result<Resource?, TargetError> {
        let found: SnapshotCache.ObservedTable?
        if let unchanged = SnapshotCache.shared.unchangedTable(at: table.logPath, directory: table.directory, relative: table.relative) {
            found = unchanged
        } else {
            guard isDirectory(table.logPath) else { return .success(nil) }
            do throws(TargetError) {
                found = try DeltaLog.observedSnapshot(logPath: table.logPath, id: table.id, provenFirst: false).map(SnapshotCache.ObservedTable.init)
            } catch { return .failure(error) }
        }
        guard let found else { return .success(nil) }
        return .success(Resource(id: table.id, spec: .table(found.spec), observation: Observation(version: found.version, hasData: found.hasData)))
    }

    /// Whether observed Delta snapshots are kept for the next observation in this
    /// process: on by default (`watch` observes every cycle). A one-shot command turns it
    /// off: it reads each log once, and 100,000 kept snapshots it never reads again held
    /// a quarter of a no-op plan's memory. Off, every observation reads the log.
    public static func keepSnapshots(_ on: Bool) { SnapshotCache.shared.keeping.store(on, ordering: .relaxed) }

    struct TableLocation: Sendable {
        var id: ResourceID
        var logPath: String
        /// An open directory the log is reached from (or `AT_FDCWD`), and the path from it.
        var directory: Int32
        var relative: String
    }

    /// At most this many schema directories are held open while observing.
    static let openSchemaDirectories = 256

    var flagFile: FlagFile { FlagFile(url: root.appendingPathComponent(FlagFile.fileName)) }

    /// Kinds kept in the catalog database; an apply that touches them takes its lock first.
    static let catalogKinds: Set<ResourceKind> = [.grants, .pipeline, .model, .table, .function]

    public func beginApply(_ plan: Plan) throws(TargetError) {
        guard plan.changes.contains(where: { Self.catalogKinds.contains($0.id.kind) && ($0.id.kind != .table || $0.action == .delete) }) else { return }
        try ensureRoot()
        let (root, displayRoot, timeout) = (self.root, self.displayRoot, lockTimeoutMilliseconds)
        try session.catalog.withLock { (slot) throws(TargetError) in
            guard let catalog = try CatalogDatabase.open(root: root, displayRoot: displayRoot, create: true, timeout: timeout) else { return }
            try catalog.begin()
            slot = catalog
        }
    }

    public func endApply() throws(TargetError) {
        try session.catalog.withLock { (catalog) throws(TargetError) in
            defer { catalog = nil }
            try catalog?.commit()
        }
    }

    /// Runs `body` on the catalog database this apply opened.
    private func withCatalog(_ id: ResourceID, _ body: (CatalogDatabase) throws(TargetError) -> Void) throws(TargetError) {
        try session.catalog.withLock { (catalog) throws(TargetError) in
            guard let catalog else { throw TargetError(id, "internal error: the catalog database was not opened for this apply") }
            try body(catalog)
        }
    }

    private func subdirectories(_ url: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.filter { !$0.hasPrefix(".") && !$0.hasPrefix("_") && isDirectory(url.appendingPathComponent($0)) }.sorted()
    }

    private func isDirectory(_ url: URL) -> Bool { isDirectory(url.path) }

    private func isDirectory(_ path: String) -> Bool { Self.isDirectory(path) }

    private static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    private func readNamespace(_ url: URL, _ id: ResourceID) throws(TargetError) -> NamespaceSpec {
        guard let data = FileManager.default.contents(atPath: url.path) else { return NamespaceSpec() }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw TargetError(id, "\(url.path) is not valid JSON; fix or remove it")
        }
        let tags = object["tags"].map { ($0 as? [String: Any] ?? [:]).compactMapValues { $0 as? String } }
        return NamespaceSpec(comment: object["comment"] as? String, owner: object["owner"] as? String,
                             properties: (object["properties"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String }, tags: tags)
    }

    // MARK: Apply

    @discardableResult public func apply(_ change: Change) throws(TargetError) -> AppliedChange {
        try ensureRoot()
        let id = change.id
        for path in writtenPaths(change) { try refuseSymbolicLinks(to: path, id: id) }
        switch (id.kind, change.action) {
        case (.catalog, .create), (.catalog, .update), (.schema, .create), (.schema, .update):
            switch change.desired?.spec {
            case .catalog(let spec)?, .schema(let spec)?: try writeNamespace(id, spec)
            default: throw TargetError(id, "internal error: a \(change.action.rawValue) without a namespace spec")
            }
        case (.grants, _), (.pipeline, _), (.model, _), (.function, _):
            try withCatalog(id) { (catalog) throws(TargetError) in try catalog.apply(change) }
        case (.featureFlag, _):
            var flag: FlagSpec?
            if case .featureFlag(let spec)? = change.desired?.spec { flag = spec }
            try flagFile.write(id.name, flag)  // nil removes it
        case (.table, .delete):
            try moveToTrash(id)
            try withCatalog(id) { (catalog) throws(TargetError) in try catalog.dropGrants(on: Securable(.table, id.name)) }
        case (_, .delete):
            try moveToTrash(id)
        case (.table, .create):
            try createTable(id, change.desired!.table!)
            return AppliedChange(tableVersion: 0)
        case (.table, .update), (.table, .replace):
            return AppliedChange(tableVersion: try updateTable(change))
        case (_, .replace):
            throw TargetError(id, "the local target cannot replace a \(id.kind.rawValue)")
        }
        return .done
    }

    /// The paths under the root a change writes (or moves away).
    func writtenPaths(_ change: Change) -> [[String]] {
        let id = change.id
        var paths: [[String]]
        switch id.kind {
        case .catalog, .schema: paths = [id.name.split(separator: ".").map(String.init)]
        case .table: paths = [id.name.split(separator: ".").map(String.init) + ["_delta_log"], [CatalogDatabase.fileName]]
        case .grants, .pipeline, .model, .function: paths = [[CatalogDatabase.fileName]]
        case .featureFlag: paths = [[FlagFile.fileName]]
        }
        if change.action == .delete && [.catalog, .schema, .table].contains(id.kind) { paths.append([".trash"]) }
        return paths
    }

    /// Writes stay inside the root: no component of `path` under it may be a
    /// symbolic link (one could send a write anywhere: /etc, another lakehouse).
    /// The root itself may be a link; what is under it may not.
    func refuseSymbolicLinks(to path: [String], id: ResourceID) throws(TargetError) {
        var current = root.path
        for component in path {
            current += "/" + component
            var status = stat()
            guard lstat(current, &status) == 0 else { return }  // nothing further exists yet
            if status.st_mode & S_IFMT == S_IFLNK {
                let destination = (try? FileManager.default.destinationOfSymbolicLink(atPath: current)) ?? "?"
                let shown = displayRoot + "/" + path.prefix(through: path.firstIndex(of: component)!).joined(separator: "/")
                throw TargetError(id, "\(shown) is a symbolic link (to \(destination)); reconcile writes only inside the lakehouse root \(displayRoot) and never follows a link out of it; replace the link with a directory or move the data under the root")
            }
        }
    }

    /// Removes the temporary files reconcile left (a process killed between writing
    /// one aside and linking or renaming it, or just after) where `ids` live: their
    /// directories, their Delta logs, and the root (flags, catalog files).
    public func discardLeftovers(of ids: [ResourceID]) {
        Files.removeLeftovers(in: root)
        for id in ids where [.catalog, .schema, .table].contains(id.kind) {
            let directory = directory(id)
            Files.removeLeftovers(in: directory)
            if id.kind == .table { Files.removeLeftovers(in: directory.appendingPathComponent("_delta_log")) }
        }
    }

    func directory(_ id: ResourceID) -> URL {
        id.name.split(separator: ".").reduce(root) { $0.appendingPathComponent(String($1)) }
    }

    /// Creates the root if needed and checks it is writable.
    public func ensureRoot() throws(TargetError) {
        do {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        } catch {
            throw TargetError(nil, "lakehouse root \(displayRoot) cannot be created: \(Files.reason(error)); check spec.target.path and its permissions")
        }
        guard access(root.path, W_OK) == 0 else {
            throw TargetError(nil, "lakehouse root \(displayRoot) is not writable: \(String(cString: strerror(errno))); check its permissions")
        }
    }

    private func writeNamespace(_ id: ResourceID, _ spec: NamespaceSpec) throws(TargetError) {
        let url = directory(id)
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            var object: [String: Any] = ["properties": spec.properties]
            if let comment = spec.comment { object["comment"] = comment }
            if let owner = spec.owner { object["owner"] = owner }
            // Declared tags are the whole set; undeclared ones stay as the file has them.
            if let tags = spec.tags {
                if !tags.isEmpty { object["tags"] = tags }
            } else if let kept = try readNamespace(url.appendingPathComponent(id.kind == .catalog ? Self.catalogFile : Self.schemaFile), id).tags {
                // An unreadable file stops the write rather than dropping the tags it holds.
                object["tags"] = kept
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
            try Files.replaceAtomically(data, at: url.appendingPathComponent(id.kind == .catalog ? Self.catalogFile : Self.schemaFile), id: id)
        } catch let error as TargetError {
            throw error
        } catch {
            throw TargetError(id, "cannot write \(url.path): \(Files.reason(error))")
        }
    }

    private func moveToTrash(_ id: ResourceID) throws(TargetError) {
        let source = directory(id)
        let trash = root.appendingPathComponent(".trash")
        let stamp = Int(Date().timeIntervalSince1970 * 1000)
        let destination = trash.appendingPathComponent("\(stamp)-\(id.kind.rawValue)-\(id.name)")
        do {
            try FileManager.default.createDirectory(at: trash, withIntermediateDirectories: true)
            try FileManager.default.moveItem(at: source, to: destination)
        } catch {
            throw TargetError(id, "cannot move \(source.path) to \(destination.path): \(Files.reason(error))")
        }
    }

    /// Where this lakehouse keeps its environments' state: history, inventory, locks.
    public var stateStorePath: (path: String, display: String) {
        (root.appendingPathComponent(".reconcile/state.db").path, "\(displayRoot)/.reconcile/state.db")
    }
}
