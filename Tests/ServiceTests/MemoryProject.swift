import Foundation
import Loading
import Model
import Service
import Synchronization
import TestSupport

/// A target in memory: what `apply` writes is what `observe` returns.
final class MemoryTarget: Target {
    private struct State {
        var resources: [ResourceID: Resource] = [:]
        var observations = 0
        var failing: ResourceID?
    }

    private let state = Mutex(State())

    var resources: [ResourceID: Resource] {
        get { state.withLock { $0.resources } }
        set { state.withLock { $0.resources = newValue } }
    }
    var observations: Int { state.withLock { $0.observations } }
    var failing: ResourceID? {
        get { state.withLock { $0.failing } }
        set { state.withLock { $0.failing = newValue } }
    }

    var summary: String { "memory" }

    func observe(scope: Set<ResourceID>) throws(TargetError) -> [Resource] {
        state.withLock { state in
            state.observations += 1
            return state.resources.values.sorted { $0.id < $1.id }
        }
    }

    func apply(_ change: Change) throws(TargetError) -> AppliedChange {
        if change.id == failing { throw TargetError(change.id, "refused by the test") }
        switch change.action {
        case .create, .update, .replace:
            var resource = change.desired!
            resource.origin = nil
            resource.observation = Observation()
            resources[change.id] = resource
        case .delete:
            resources[change.id] = nil
        }
        return .done
    }
}

/// A project in memory: environments, manifests by revision, one target and one
/// store per environment, and the pin commits written.
final class MemoryProject: Project {
    var environments: [String: Environment] = [:]
    /// Revision → the manifests' resources at it.
    var revisions: [String: [Resource]] = [:]
    /// What `.current` reads.
    var head = ""
    var targets: [String: MemoryTarget] = [:]
    var stores: [String: MemoryStateStore] = [:]
    var targetsMade = 0
    var commits: [(environment: String, source: SourceSpec, message: String)] = []
    var warnings: [String] = []
    var readsWorktree = false
    var actor: String { "tester" }
    var projectIdentity = "memory:project"
    func identity() -> String { projectIdentity }

    func warning(_ message: String) { warnings.append(message) }

    var environmentNames: [String] { environments.keys.sorted() }
    var forwarded: [AuditRecord] = []

    func forwardAudit(_ record: AuditRecord, of environment: Environment) async { forwarded.append(record) }
    /// Revision → who signed it (with a signer the requirement allows).
    var signed: [String: String] = [:]

    func verifySignature(of revision: String, requirement: SignedCommits, environment: String) throws(ReconcileError) -> String {
        guard let signer = signed[revision] else { throw ReconcileError("commit \(revision) is not signed", kind: .policyRefused) }
        return signer
    }

    func environment(_ name: String) throws(ReconcileError) -> Environment {
        guard let environment = environments[name] else { throw ReconcileError("no environment \(name)", kind: .invalid) }
        return environment
    }

    func desired(_ environment: Environment, at revision: String?) throws(ReconcileError) -> DesiredState {
        let wanted: String
        switch revision.map(SourceSpec.revision) ?? environment.source {
        case .revision(let pinned): wanted = pinned
        case .current, .branch: wanted = head
        }
        guard let resources = revisions[wanted] else { throw ReconcileError("unknown revision \(wanted)", kind: .invalid) }
        return DesiredState(environment: environment, revision: wanted, resources: resources)
    }

    func target(for environment: Environment) -> any Target {
        targetsMade += 1
        return memoryTarget(environment.name)
    }

    func memoryTarget(_ name: String) -> MemoryTarget {
        if let target = targets[name] { return target }
        let target = MemoryTarget()
        targets[name] = target
        return target
    }

    func store(for environment: Environment, create: Bool) throws(ReconcileError) -> (any StateStore)? {
        if let store = stores[environment.name] { return store }
        guard create else { return nil }
        let store = MemoryStateStore()
        stores[environment.name] = store
        return store
    }

    func commit(_ revision: String) throws(ReconcileError) -> String {
        guard revisions[revision] != nil else { throw ReconcileError("unknown revision \"\(revision)\"", kind: .invalid) }
        return revision
    }

    func setSource(_ environment: Environment, to source: SourceSpec, message: String) throws(ReconcileError) -> String {
        commits.append((environment.name, source, message))
        environments[environment.name]?.source = source
        return "c\(commits.count)"
    }
}

enum Manifests {
    static func catalog(_ name: String, comment: String? = nil) -> Resource {
        Resource(id: ResourceID(.catalog, name), spec: .catalog(NamespaceSpec(comment: comment)))
    }

    static func table(_ name: String, _ type: DataType) -> Resource {
        Resource(id: ResourceID(.table, name), spec: .table(TableSpec(columns: [Column(name: "id", type: type)])))
    }
}
