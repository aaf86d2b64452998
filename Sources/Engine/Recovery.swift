import Model

/// Resolves what an interrupted or failed apply left uncertain, by what the target
/// holds now. Pure: intents, observation and inventory in; each intent's effect out.
///
/// The journal records a change as started before the target is touched; a process
/// killed between a create landing and its journal entry leaves a resource that
/// exists and is not in the inventory. Observation settles it: what the change meant
/// to create and exists is owned (so prune can delete it later); what it meant to
/// delete and is gone is no longer owned; what it meant to delete and still exists
/// (a transaction the kill rolled back) is owned again.
public enum Recovery {
    public static func resolve(_ intents: [Intent], observed: Set<ResourceID>, desired: [Resource], inventory: Inventory) -> [(intent: Intent, effect: InventoryEffect)] {
        let declared = Dictionary(desired.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var owned = Set(inventory.resources)
        var result: [(Intent, InventoryEffect)] = []
        for intent in intents {
            let id = intent.resource
            let exists = observed.contains(id)
            let effect: InventoryEffect
            switch (intent.action, exists) {
            case (.create, true), (.delete, true):
                // Only creates claim ownership (a delete was planned because the
                // environment owned it): an update or replace never adopts.
                if owned.contains(id) {
                    effect = .keep
                } else {
                    var principals: [String]?
                    if case .grants(let grants)? = declared[id]?.spec { principals = grants.grants.keys.sorted() }
                    effect = .set(Inventory.Entry(protected: declared[id]?.isProtected ?? false, principals: principals))
                    owned.insert(id)
                }
            case (.delete, false):
                effect = owned.contains(id) ? .remove : .keep
                owned.remove(id)
            case (.create, false), (.update, _), (.replace, _):
                // Nothing landed, or a replace dropped it before recreating: the plan
                // creates it again, and a replaced resource stays owned.
                effect = .keep
            }
            result.append((intent, effect))
        }
        return result
    }

    /// `inventory` with `resolutions` applied.
    public static func applying(_ resolutions: [(intent: Intent, effect: InventoryEffect)], to inventory: Inventory) -> Inventory {
        var inventory = inventory
        for (intent, effect) in resolutions {
            switch effect {
            case .keep: break
            case .remove: inventory.entries[intent.resource] = nil
            case .set(let entry): inventory.entries[intent.resource] = entry
            }
        }
        return inventory
    }
}
