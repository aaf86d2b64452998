import Engine
import Loading
import Model

/// A project with one more environment: a preview derived from a declared one.
/// Everything else is the base project's; the preview's desired state is refused
/// when it would reach outside the preview's own catalog.
public final class PreviewProject: Project {
    public let base: any Project
    public let preview: Environment
    /// The environment the preview was derived from.
    public let from: String

    /// The preview `name` of environment `from`; every declared environment must be
    /// readable, so that the preview provably shares nothing with one.
    public init(_ base: any Project, name: String, from: String) throws(ReconcileError) {
        self.base = base
        self.from = from
        let origin = try base.environment(from)
        var declared: [Environment] = []
        for other in base.environmentNames where other != from {
            do throws(ReconcileError) { declared.append(try base.environment(other)) } catch {
                throw ReconcileError(error.diagnostics + [.error(at: nil,
                    "a preview must share no root, state file or name with any environment, and environment \(other) cannot be read to prove it; fix its file first")], kind: .invalid)
            }
        }
        preview = try Preview.derive(name, from: origin, declared: declared + [origin])
    }

    public var actor: String { base.actor }
    public func identity() throws(ReconcileError) -> String { try base.identity() }
    public var readsWorktree: Bool { base.readsWorktree }
    public var environmentNames: [String] { base.environmentNames + [preview.name] }
    public func warning(_ message: String) { base.warning(message) }

    public func environment(_ name: String) throws(ReconcileError) -> Environment {
        name == preview.name ? preview : try base.environment(name)
    }

    public func desired(_ environment: Environment, at revision: String?) throws(ReconcileError) -> DesiredState {
        let state = try base.desired(environment, at: revision)
        guard environment.name == preview.name else { return state }
        let outside = Preview.outsideItsCatalog(state.resources, preview: preview)
        if !outside.isEmpty { throw ReconcileError(outside, kind: .invalid) }
        return state
    }

    public func target(for environment: Environment) -> any Target { base.target(for: environment) }

    public func store(for environment: Environment, create: Bool) throws(ReconcileError) -> (any StateStore)? {
        try base.store(for: environment, create: create)
    }

    public func commit(_ revision: String) throws(ReconcileError) -> String { try base.commit(revision) }

    public func forwardAudit(_ record: AuditRecord, of environment: Environment) async { await base.forwardAudit(record, of: environment) }

    public func verifySignature(of revision: String, requirement: SignedCommits, environment: String) throws(ReconcileError) -> String {
        try base.verifySignature(of: revision, requirement: requirement, environment: environment)
    }

    public func setSource(_ environment: Environment, to source: SourceSpec, message: String) throws(ReconcileError) -> String {
        guard environment.name != preview.name else {
            throw ReconcileError("preview \(preview.name) reads the revision being planned; it has no pin to move", kind: .invalid)
        }
        return try base.setSource(environment, to: source, message: message)
    }

    /// The previews of declared environments named `name` that have a state store: the
    /// ones `preview destroy NAME` without `--from` could mean.
    /// An environment that cannot have previews owns none; a store that exists but
    /// cannot be opened is an error, never "no preview".
    public static func existing(_ name: String, in base: any Project) throws(ReconcileError) -> [PreviewProject] {
        // Every environment must be readable: an unreadable one might be the preview's base.
        var declared: [Environment] = []
        for other in base.environmentNames { declared.append(try base.environment(other)) }
        var found: [PreviewProject] = []
        for origin in declared {
            guard let preview = try? Preview.derive(name, from: origin, declared: declared) else { continue }
            if try base.store(for: preview, create: false) != nil { found.append(PreviewProject(base, preview: preview, from: origin.name)) }
        }
        return found
    }

    init(_ base: any Project, preview: Environment, from: String) {
        self.base = base
        self.preview = preview
        self.from = from
    }
}

extension Service {
    /// Under the lock: plans the deletion of everything the preview's inventory holds
    /// (protected or not: a preview adopts nothing, so all of it is its own) and applies
    /// it. Nil: the preview has no state store, so it never applied anything.
    public func destroyPreview(_ name: String, control: ApplyControl = .init()) async throws(ReconcileError) -> ApplyResult? {
        let run = try run(name)
        guard !run.environment.policy.adopts else {
            throw ReconcileError("\(name) is not a preview; reconcile destroys only previews (prune removes what an environment's manifests no longer declare)", kind: .invalid)
        }
        guard try run.existingStore() != nil else { return nil }
        return try await withLock(run, command: "preview destroy") { () async throws(ReconcileError) in
            let last = try await run.lastApplied()
            let nothing = DesiredState(environment: run.environment, revision: last?.revision ?? "none", resources: [])
            let plan = try await run.plan(nothing, policy: .destroyingPreview)
            let report = try await run.apply(plan, kind: .destroy, control: control, overrides: PolicyCheck.Options.destroyingPreview.overridesUsed)
            return ApplyResult(plan: plan, report: report, run: run.report)
        }
    }
}
