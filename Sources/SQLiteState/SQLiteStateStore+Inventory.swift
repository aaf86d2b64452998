import Model
import SQLite

extension SQLiteStateStore {
    /// What tells the store unchanged: no commit by another connection (another
    /// process included) and no row changed by this one.
    struct StoreVersion: Equatable {
        var dataVersion: Int64
        var ownChanges: Int64
    }

    func storeVersion() throws(TargetError) -> StoreVersion {
        try run { () throws(SQLiteError) in StoreVersion(dataVersion: try database.dataVersion(), ownChanges: database.totalChanges) }
    }

    public func inventory(_ environment: String) throws(TargetError) -> Inventory {
        // Read before the rows: a change committed after this moves it, and the next
        // call reads again.
        let version = try storeVersion()
        if let cached = inventories.withLock({ $0[environment] }), cached.version == version { return cached.inventory }
        let inventory = try readInventory(environment)
        inventories.withLock { $0[environment] = (version, inventory) }
        return inventory
    }

    /// Writes `body`, which changes `environment`'s inventory as `change` does, and
    /// keeps the inventory read before in step: only when it was current just before
    /// the write and no other connection committed meanwhile (else it is dropped, and
    /// the next call reads the rows). Every write of inventory rows goes through here,
    /// one at a time; other writes of this connection only move the version.
    func writeInventory(_ environment: String, change: (inout Inventory) -> Void, _ body: () throws(SQLiteError) -> Void) throws(TargetError) {
        try inventories.withLock { (cache) throws(TargetError) in
            let before = try storeVersion()
            do throws(TargetError) {
                try write(body)
            } catch {
                cache[environment] = nil
                throw error
            }
            guard var cached = cache[environment], cached.version == before, let after = try? storeVersion(), after.dataVersion == before.dataVersion else {
                cache[environment] = nil
                return
            }
            change(&cached.inventory)
            cached.version = after
            cache[environment] = cached
        }
    }

    func readInventory(_ environment: String) throws(TargetError) -> Inventory {
        let rows = try run { () throws(SQLiteError) in
            try database.query("SELECT resource, protected, principals FROM inventory WHERE environment = ?", [.text(environment)])
        }
        var inventory = Inventory(environment: environment)
        for row in rows {
            let id = try StoredRows.value(row[0].string, ResourceID.init(parsing:), "an inventory row of \(environment) names a resource that", store: location)
            let principals = row[2].string.map { $0.isEmpty ? [] : $0.components(separatedBy: "\n") }
            inventory.entries[id] = Inventory.Entry(protected: try StoredRows.flag(row[1].int.map(Int64.init), "the protected flag of \(id) in \(environment)'s inventory", store: location),
                                                    principals: principals)
        }
        return inventory
    }
}
