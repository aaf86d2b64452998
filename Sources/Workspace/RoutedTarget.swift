import Foundation
import LocalTarget
import Model
import RemoteTargets

/// An environment's targets as one: each kind goes where `spec.targets` routes it
/// (models to MLflow, the rest to the local lakehouse, say).
public final class RoutedTarget: Target {
    public let environment: Environment
    public let parts: [(spec: TargetSpec, target: any Target)]

    init(environment: Environment, base: URL) {
        self.environment = environment
        parts = environment.allTargets.map { spec in
            switch spec {
            case .local(let path): return (spec, LocalLakehouse(path: path, relativeTo: base) as any Target)
            case .mlflow(let url): return (spec, MLflowRegistry(url: url) as any Target)
            case .databricks(let host, let warehouse, let auth, let files):
                return (spec, DatabricksWorkspace(host: host, warehouse: warehouse, auth: auth, files: files) as any Target)
            }
        }
    }

    /// The local lakehouse among the targets, if any (the default one first).
    public var local: LocalLakehouse? { parts.lazy.compactMap { $0.target as? LocalLakehouse }.first }

    /// The local lakehouse that holds `kind`, if that is where it goes.
    public func local(for kind: ResourceKind) -> LocalLakehouse? { target(for: kind) as? LocalLakehouse }

    func target(for kind: ResourceKind) -> any Target {
        let spec = environment.target(for: kind)
        return parts.first { $0.spec == spec }!.target
    }

    func holds(_ spec: TargetSpec, _ kind: ResourceKind) -> Bool { environment.target(for: kind) == spec }

    public var summary: String { parts.map(\.target.summary).joined(separator: " + ") }

    /// The table target's answer.
    public var inPlace: InPlaceChanges { target(for: .table).inPlace }

    /// Each part observes what it holds of `scope` (namespaces go to every part).
    public func observe(scope: Set<ResourceID>) async throws(TargetError) -> [Resource] {
        var resources: [Resource] = []
        for part in parts {
            let mine = Set(scope.filter { holds(part.spec, $0.kind) || $0.kind == .catalog || $0.kind == .schema })
            resources += try await part.target.observe(scope: mine).filter { holds(part.spec, $0.id.kind) }
        }
        return resources
    }

    public func discardLeftovers(of ids: [ResourceID]) {
        for part in parts { part.target.discardLeftovers(of: ids.filter { holds(part.spec, $0.kind) || $0.kind == .catalog || $0.kind == .schema }) }
    }

    public func verify(_ checks: [DataCheck], of table: Resource) async throws(TargetError) -> [DataEvidence] {
        try await target(for: .table).verify(checks, of: table)
    }

    @discardableResult public func apply(_ change: Change) async throws(TargetError) -> AppliedChange {
        let spec = environment.target(for: change.id.kind)
        if let supported = spec.supportedKinds, !supported.contains(change.id.kind) {
            throw TargetError(change.id, "a \(spec.typeName) target does not manage \(change.id.kind.plural) yet; route them to another target with spec.targets.\(change.id.kind.routingKey)")
        }
        return try await target(for: change.id.kind).apply(change)
    }

    public func beginApply(_ plan: Plan) async throws(TargetError) {
        for part in parts {
            var mine = plan
            mine.changes = plan.changes.filter { holds(part.spec, $0.id.kind) }
            if !mine.changes.isEmpty { try await part.target.beginApply(mine) }
        }
    }

    public func endApply() async throws(TargetError) {
        var first: TargetError?
        for part in parts {
            do { try await part.target.endApply() } catch { first = first ?? error }
        }
        if let first { throw first }
    }

    public var requestCounts: [String: Int] {
        parts.reduce(into: [:]) { counts, part in counts.merge(part.target.requestCounts) { $0 + $1 } }
    }
}
