/// The set of resources an environment created, and so may prune.
public struct Inventory: Sendable, Hashable, Codable {
    public var environment: String
    public var resources: Set<ResourceID>

    public init(environment: String, resources: Set<ResourceID> = []) {
        self.environment = environment
        self.resources = resources
    }

    /// Records the effect of one applied change.
    public mutating func record(_ action: Action, _ id: ResourceID) {
        switch action {
        case .create, .update, .replace: resources.insert(id)
        case .delete: resources.remove(id)
        }
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

/// Where resources live. Implementations do the I/O; the engine stays pure.
public protocol Target {
    /// A short description for plan headers (`local .lakehouse/dev`).
    var summary: String { get }
    /// Everything the target holds now, normalized to the manifests' shape.
    func observe() throws(TargetError) -> [Resource]
    /// Carries out one change. On error nothing of this change may remain half done.
    func apply(_ change: Change) throws(TargetError)
    /// The environment's inventory, as last saved.
    func loadInventory(environment: String) throws(TargetError) -> Inventory
    func saveInventory(_ inventory: Inventory) throws(TargetError)
}
