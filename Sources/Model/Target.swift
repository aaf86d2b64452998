/// The set of resources an environment created, and so may prune, with what it
/// must remember about each beyond its manifest.
public struct Inventory: Sendable, Hashable, Codable {
    public struct Entry: Sendable, Hashable, Codable {
        /// Protected when last applied: survives the manifest's deletion.
        public var protected: Bool
        /// For grants: the principals this environment manages on the securable.
        public var principals: [String]?

        public init(protected: Bool = false, principals: [String]? = nil) {
            self.protected = protected
            self.principals = principals
        }
    }

    public var environment: String
    public var entries: [ResourceID: Entry]

    public init(environment: String, entries: [ResourceID: Entry] = [:]) {
        self.environment = environment
        self.entries = entries
    }

    public init(environment: String, resources: Set<ResourceID>) {
        self.init(environment: environment, entries: Dictionary(uniqueKeysWithValues: resources.map { ($0, Entry()) }))
    }

    public var resources: Set<ResourceID> { Set(entries.keys) }

    public func contains(_ id: ResourceID) -> Bool { entries[id] != nil }

    /// Records the effect of one applied change.
    public mutating func record(_ change: Change) {
        entries[change.id] = Self.entry(after: change)
    }

    /// The entry a resource has once `change` is applied; nil once it is deleted.
    public static func entry(after change: Change) -> Entry? {
        switch change.action {
        case .create, .update, .replace:
            var principals: [String]?
            if case .grants(let grants)? = change.desired?.spec { principals = grants.grants.keys.sorted() }
            return Entry(protected: change.desired?.isProtected ?? false, principals: principals)
        case .delete:
            return nil
        }
    }

    // Stored as a sorted list, so the file diffs well.
    private struct Stored: Codable {
        var id: ResourceID
        var protected: Bool?
        var principals: [String]?
    }

    private enum CodingKeys: String, CodingKey { case environment, resources }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        environment = try container.decode(String.self, forKey: .environment)
        let stored = try container.decode([Stored].self, forKey: .resources)
        entries = Dictionary(stored.map { ($0.id, Entry(protected: $0.protected ?? false, principals: $0.principals)) }, uniquingKeysWith: { $1 })
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(environment, forKey: .environment)
        let stored = entries.keys.sorted().map { Stored(id: $0, protected: entries[$0]!.protected ? true : nil, principals: entries[$0]!.principals) }
        try container.encode(stored, forKey: .resources)
    }
}

/// An error a target reports about a resource or its own state.
public struct TargetError: Error, Sendable, CustomStringConvertible {
    public var resource: ResourceID?
    public var message: String

    public init(_ resource: ResourceID?, _ message: String) {
        self.resource = resource
        self.message = message
    }

    public var description: String {
        if let resource { return "\(resource): \(message)" }
        return message
    }
}

/// Where resources live. Implementations do the I/O (asynchronously: a remote one
/// waits on the network without holding a thread); the engine stays pure. A target
/// is `Sendable`: what it keeps between calls is immutable or behind a lock.
public protocol Target: Sendable {
    /// A short description for plan headers (`local .lakehouse/dev`).
    var summary: String { get }
    /// What the target holds now, normalized to the manifests' shape: at least every
    /// resource in `scope` (what the environment declares or created, and their
    /// namespaces) that exists; a local target may return everything it holds.
    func observe(scope: Set<ResourceID>) async throws(TargetError) -> [Resource]
    /// Carries out one change. On error nothing of this change may remain half done.
    @discardableResult func apply(_ change: Change) async throws(TargetError) -> AppliedChange
    /// Called once before the first change of an apply: take locks, so that a busy
    /// target fails before anything is changed.
    func beginApply(_ plan: Plan) async throws(TargetError)
    /// Called once after the last change attempted.
    func endApply() async throws(TargetError)
    /// What it changes on a table without replacing it.
    var inPlace: InPlaceChanges { get }
    /// What `table`'s existing rows say about each of `checks`, in order.
    func verify(_ checks: [DataCheck], of table: Resource) async throws(TargetError) -> [DataEvidence]
    /// Requests made to remote services so far, by target (empty for local ones).
    var requestCounts: [String: Int] { get }
    /// Removes what an apply killed part-way may have left aside (temporary files)
    /// where `ids` live; called under the lock when interrupted changes are settled.
    func discardLeftovers(of ids: [ResourceID])
}

extension Target {
    public var requestCounts: [String: Int] { [:] }
    public func verify(_ checks: [DataCheck], of table: Resource) async throws(TargetError) -> [DataEvidence] {
        checks.map { _ in DataEvidence(.unverifiable("this target cannot read the table's rows")) }
    }
    public var inPlace: InPlaceChanges { .delta }
    public func discardLeftovers(of ids: [ResourceID]) {}
    public func beginApply(_ plan: Plan) async throws(TargetError) {}
    public func endApply() async throws(TargetError) {}
}

extension ResourceID {
    /// In an observation scope: every catalog the target holds, declared or not
    /// (`reconcile import`), where targets otherwise read only the declared ones.
    public static let everyCatalog = ResourceID(.catalog, "*")

    /// In an observation scope: read the tags of a catalog, schema, table or column
    /// (`entity` is `catalogs`, `schemas`, `tables` or `columns`, as Unity Catalog names
    /// them; a column is `catalog.schema.table.column`). Tags are read only where a
    /// manifest manages them, since a remote target pays a request per entity. A
    /// marker's name starts with `#`, which no resource name can.
    public static func tags(_ entity: String, _ name: String) -> ResourceID {
        ResourceID(entity == "catalogs" ? .catalog : entity == "schemas" ? .schema : .table, "#tags:\(entity):\(name)")
    }

    /// The entity and name of a tags marker, or nil for a resource.
    public var tagsMarker: (entity: String, name: String)? {
        guard name.hasPrefix("#tags:") else { return nil }
        let rest = name.dropFirst(6)
        guard let colon = rest.firstIndex(of: ":") else { return nil }
        return (String(rest[..<colon]), String(rest[rest.index(after: colon)...]))
    }

    /// Whether this is a scope marker (every catalog, tags), not a resource.
    public var isScopeMarker: Bool { name == Self.everyCatalog.name || name.hasPrefix("#") }

    /// The tags markers for what `resources` manage: every catalog, schema, table and
    /// column whose manifest declares `tags` (an empty map included).
    public static func tagMarkers(for resources: [Resource]) -> Set<ResourceID> {
        var markers: Set<ResourceID> = []
        for resource in resources {
            switch resource.spec {
            case .catalog(let spec) where spec.tags != nil: markers.insert(tags("catalogs", resource.id.name))
            case .schema(let spec) where spec.tags != nil: markers.insert(tags("schemas", resource.id.name))
            case .table(let spec):
                if spec.tags != nil { markers.insert(tags("tables", resource.id.name)) }
                for column in spec.columns where column.tags != nil { markers.insert(tags("columns", "\(resource.id.name).\(column.name)")) }
            default: break
            }
        }
        return markers
    }
}

/// What a target says about a change it made.
public struct AppliedChange: Sendable, Hashable {
    /// The table's Delta version after the change, where the target knows it.
    public var tableVersion: Int?

    public init(tableVersion: Int? = nil) { self.tableVersion = tableVersion }

    public static let done = AppliedChange()
}

/// What a target can change on a table without replacing it: its answer, which the
/// planner follows (anything else is a replace, and destructive).
public struct InPlaceChanges: Sendable, Hashable {
    public enum TypeChanges: Sendable, Hashable {
        /// No column type changes in place.
        case none
        /// Widenings (`DataType.widens(to:)`): int → bigint, float → double, decimal precision up.
        case widening
    }

    public var typeChanges: TypeChanges
    /// Renaming a column keeps its data (Delta's column mapping).
    public var columnRename: Bool
    /// Dropping a column keeps the table (Delta's column mapping).
    public var columnDrop: Bool

    public init(typeChanges: TypeChanges, columnRename: Bool, columnDrop: Bool) {
        self.typeChanges = typeChanges
        self.columnRename = columnRename
        self.columnDrop = columnDrop
    }

    /// Delta: columns are added, widened (with type widening where storage changes),
    /// commented and made nullable in place, and renamed and dropped in place with
    /// column mapping; a narrowing or a partition change replaces.
    public static let delta = InPlaceChanges(typeChanges: .widening, columnRename: true, columnDrop: true)

    /// Whether a column of type `from` can become `to` in place.
    public func changesType(from: DataType, to: DataType) -> Bool {
        switch typeChanges {
        case .none: return false
        case .widening: return from.widens(to: to)
        }
    }
}
