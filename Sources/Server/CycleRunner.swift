import Engine
import Foundation
import GitStore
import Loading
import LocalTarget
import Logging
import Model
import Rendering
import SQLiteState
import Service
import Workspace

/// What the watch loop reconciles and from where.
public struct WatchSettings: Sendable {
    public var environment: String
    /// A path, `file://`, `git://` or `http(s)://` URL.
    public var repository: String
    /// Where the mirror is kept.
    public var cacheDirectory: String
    /// A token for http(s) remotes (never logged).
    public var token: String?
    /// The project's directory in the repository (`""`: its root).
    public var path: String

    public init(environment: String, repository: String, cacheDirectory: String, token: String?, path: String = "") {
        self.environment = environment
        self.repository = repository
        self.cacheDirectory = cacheDirectory
        self.token = token
        self.path = path
    }
}

/// One reconcile cycle: fetch → plan → apply (auto-sync) → drift → heal or report.
/// Run it off the actor (a detached task): git and file reads block while they run.
public struct CycleRunner: Sendable {
    public let settings: WatchSettings
    let logger: Logger
    /// Revisions parsed and states rendered in earlier cycles.
    let cache = LoadCache()
    /// This replica's part in the election among replicas sharing a store, kept
    /// across cycles (its session holds the leadership).
    let election = Election()
    /// The repository's mirror, shared with the process's other environments.
    let mirror: SharedMirror

    public init(settings: WatchSettings, logger: Logger, mirror: SharedMirror? = nil) {
        self.settings = settings
        self.logger = logger
        self.mirror = mirror ?? SharedMirror(repository: settings.repository, directory: settings.cacheDirectory, token: settings.token)
    }

    /// A cycle that parsed a new revision frees most of what it allocated; glibc keeps
    /// freed pages unless asked (malloc_trim, looked up at run time: Swift's Glibc
    /// module does not export it).
    static func returnFreedMemory() {
        #if os(Linux)
        typealias Trim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
        #endif
    }

    public struct Output: Sendable {
        public var result: CycleResult
        /// The cycle's plan, rendered when asked for (most cycles' plans never are).
        public var plan: (plan: Plan, run: RunReport)?
        /// The applied flags file, for OFREP.
        public var flagsFile: URL?
        /// The environment's notification webhooks, as its file says now.
        public var notifications: [String]?
        /// Requests this cycle made to remote targets, by target.
        public var requests: [String: Int] = [:]
        /// How long the cycle took.
        public var seconds: Double = 0
    }

    public func run(shouldStop: @escaping @Sendable () -> Bool) async -> Output {
        let started = Date(), loads = cache.loads
        var output = await cycle(shouldStop: shouldStop)
        output.seconds = Date().timeIntervalSince(started)
        if cache.loads != loads { Self.returnFreedMemory() }
        return output
    }

    private enum Read {
        case ready(Service, EnvironmentRun, DesiredState)
        case stalled(Output)
    }

    /// The newest revision, fetched and rendered; or why the cycle stalls there.
    private func read() async -> Read {
        do throws(GitError) {
            try await mirror.sync()
        } catch {
            logger.error("fetch failed: \(error.message)")
            return .stalled(Output(result: CycleResult(outcome: .stalled(reason: "FetchFailed", message: "fetching \(Self.redact(settings.repository)) failed: \(error.message)"))))
        }
        do throws(ReconcileError) {
            let workspace = try Workspace(ReadOptions(repo: settings.cacheDirectory, revision: "HEAD", path: settings.path), cache: cache)
            workspace.warn = { [logger] in logger.warning("\($0)") }
            let service = Service(workspace)
            let run = try service.run(settings.environment)
            return .ready(service, run, try run.desired())
        } catch {
            logger.error("the revision does not validate: \(error.diagnostics.first?.description ?? "")")
            return .stalled(Output(result: CycleResult(outcome: .stalled(reason: WatchDecisions.stalledReason(error.kind, stage: .read), message: Self.summary(error)))))
        }
    }

    private func cycle(shouldStop: @escaping @Sendable () -> Bool) async -> Output {
        var logger = self.logger
        let service: Service, run: EnvironmentRun, state: DesiredState
        switch await read() {
        case .ready(let readService, let readRun, let readState): (service, run, state) = (readService, readRun, readState)
        case .stalled(let output): return output
        }
        logger[metadataKey: "revision"] = "\(state.shortRevision)"
        let environment = run.environment
        var output = Output(result: CycleResult(outcome: .synced, revision: state.revision, resourcesByKind: state.resources.reduce(into: [:]) { $0[$1.id.kind.rawValue, default: 0] += 1 }),
                            flagsFile: (run.target as? RoutedTarget)?.local(for: .featureFlag)?.root.appendingPathComponent("flags.json"),
                            notifications: environment.notifications)
        func stalled(_ error: ReconcileError, _ stage: WatchDecisions.Stage) -> Output {
            logger.error("\(WatchDecisions.stalledReason(error.kind, stage: stage)): \(error.diagnostics.first?.description ?? "")")
            output.result.outcome = .stalled(reason: WatchDecisions.stalledReason(error.kind, stage: stage), message: Self.summary(error))
            return output
        }
        let lastApplied: ApplyRecord?, leads: Bool
        do throws(ReconcileError) { lastApplied = try await run.lastApplied() } catch { return stalled(error, .plan) }
        do throws(ReconcileError) { leads = try await election.leads(environment, in: service.project) } catch { return stalled(error, .apply) }
        let plan: Plan, sync: WatchDecisions.Sync, outcome: CycleResult.Outcome
        if WatchDecisions.appliesWithoutPlanning(revision: state.revision, lastApplied: lastApplied?.revision, autoSync: environment.policy.autoSync, leads: leads) {
            // A revision to apply is planned once, under the lock, not also before it.
            sync = .apply
            let (planned, result) = await applyRevision(service: service, run: run, shouldStop: shouldStop, logger: logger)
            switch result {
            case .success(let value): (plan, outcome) = value
            case .failure(let error):
                // Before the plan was made, it failed planning; after, applying.
                output.plan = planned.map { ($0, run.report) }
                return stalled(error, planned == nil ? .plan : .apply)
            }
        } else {
            do throws(ReconcileError) { plan = try await run.plan(policy: .init()) } catch { return stalled(error, .plan) }
            var decided = WatchDecisions.sync(revision: state.revision, lastApplied: lastApplied?.revision, pending: plan.changes.count, autoSync: environment.policy.autoSync)
            if !leads, case .apply = decided {
                // Another replica leads: it applies; this one reports and serves.
                logger.info("standing by: another replica sharing the state store leads and applies \(plan.changes.count) pending changes")
                decided = .report(pending: plan.changes.count)
            }
            sync = decided
            do throws(ReconcileError) { outcome = try await carryOut(sync, plan: plan, run: run) } catch { return stalled(error, .apply) }
        }
        output.plan = (plan, run.report)
        do throws(ReconcileError) {
            let check = WatchDecisions.driftCheck(sync: sync, outcome: outcome, stopping: shouldStop())
            let (drifted, healed) = try await driftAndHeal(check, service: service, run: run, plan: plan, lastApplied: lastApplied, heals: leads,
                                                           shouldStop: shouldStop, logger: logger)
            let last = await lastAppliedForStatus(run, known: lastApplied, changed: sync == .apply || healed > 0, logger: logger)
            output.result = CycleResult(outcome: outcome, revision: state.revision, resourcesByKind: output.result.resourcesByKind, drifted: drifted, healed: healed,
                                        lastApplied: last.map { ($0.revision, $0.finishedAt ?? $0.startedAt) })
            output.result.leads = environment.statePostgres == nil ? nil : leads
        } catch {
            return stalled(error, .plan)
        }
        output.requests = run.requests
        return output
    }

    /// The last apply, for status: read again only when this cycle applied or healed.
    /// A failure leaves it unknown, logged; the cycle's outcome stands (the next cycle
    /// reads the store first, and stalls if it still fails).
    private func lastAppliedForStatus(_ run: EnvironmentRun, known: ApplyRecord?, changed: Bool, logger: Logger) async -> ApplyRecord? {
        guard changed else { return known }
        do throws(ReconcileError) { return try await run.lastApplied() } catch {
            logger.warning("the last apply could not be read for status: \(error.diagnostics.first?.description ?? "")")
            return nil
        }
    }

    /// What a sync decision that applies nothing says, done: pending changes reported.
    private func carryOut(_ sync: WatchDecisions.Sync, plan: Plan, run: EnvironmentRun) async throws(ReconcileError) -> CycleResult.Outcome {
        switch sync {
        case .report(let pending):
            logger.info("out of sync: \(pending) changes pending\(run.environment.policy.autoSync ? "" : "; auto-sync is off")")
            return .outOfSync(pending: pending)
        case .apply:
            throw ReconcileError("internal error: the watch cycle planned a revision to apply outside the lock", kind: .bug)
        case .atApplied, .nothingPending:
            return .synced
        }
    }

    /// Applies a revision not yet applied: planned once, under the lock; a closed
    /// change window holds it. Returns the plan even when the apply throws (refused,
    /// unsigned), for status. The outcome's seconds are the apply's, from its plan.
    private func applyRevision(service: Service, run: EnvironmentRun, shouldStop: @escaping @Sendable () -> Bool,
                               logger: Logger) async -> (Plan?, Result<(Plan, CycleResult.Outcome), ReconcileError>) {
        final class Seen { var plan: Plan?; var applying: Date? }
        let seen = Seen()
        var control = ApplyControl(shouldStop: shouldStop) { event in
            if case .planned(let plan, _) = event { (seen.plan, seen.applying) = (plan, Date()) }
        }
        control.waitsForWindow = true
        let result: ApplyResult
        do throws(ReconcileError) {
            result = try await service.apply(run.name, policy: .init(), command: "watch", control: control)
        } catch {
            return (seen.plan, .failure(error))
        }
        if result.heldByWindow {
            // A closed change window: the changes wait for it to open (no refusal each cycle).
            logger.info("out of sync: \(result.plan.changes.count) changes wait for the change window\(Self.opening(result.plan.window))")
            return (result.plan, .success((result.plan, .outOfSync(pending: result.plan.changes.count))))
        }
        if let report = result.report { log(report, logger) }
        let seconds = seen.applying.map { Date().timeIntervalSince($0) } ?? 0
        return (result.plan, .success((result.plan, WatchDecisions.outcome(of: result.report, seconds: seconds))))
    }

    /// Drift against what was applied, healed where the policy says heal and allows
    /// the change; returns how many resources still differ and how many were restored.
    private func driftAndHeal(_ check: WatchDecisions.DriftCheck, service: Service, run: EnvironmentRun, plan: Plan, lastApplied: ApplyRecord?, heals leads: Bool,
                              shouldStop: @escaping @Sendable () -> Bool, logger: Logger) async throws(ReconcileError) -> (drifted: Int, healed: Int) {
        let drift: DriftReport
        switch check {
        case .skip, .justApplied: return (0, 0)
        case .usePlan: drift = DriftReport(environment: run.name, revision: plan.revision, appliedAt: lastApplied?.finishedAt, plan: plan)
        case .observe: drift = try await run.drift(policy: .init())
        }
        let drifted = drift.plan.changes.count
        guard drifted > 0 else { return (0, 0) }
        logger.warning("drift: \(drift.changed.count) changed, \(drift.missing.count) missing, \(drift.extra.count) extra", metadata: ["resources": "\(Self.few(drift.plan.changes.map(\.id)))"])
        guard leads, WatchDecisions.heals(drifted: drifted, policy: run.environment.policy.drift) else { return (drifted, 0) }
        if plan.window?.open == false {
            logger.info("drift not healed: the change window is closed\(Self.opening(plan.window))")
            return (drifted, 0)
        }
        let result = try await service.heal(run.name, policy: .init(), command: "watch heal", control: ApplyControl(shouldStop: shouldStop))
        if !result.refused.isEmpty {
            logger.warning("drift not healed: the policy refuses \(result.refused.count) change\(result.refused.count == 1 ? "" : "s")", metadata: ["resources": "\(Self.few(result.refused.map(\.id)))"])
        }
        guard let report = result.report, ApplyResult.failure(of: report) == nil, !report.stopped else { return (result.remaining, 0) }
        logger.info("drift healed: \(report.appliedCount) resources restored")
        return (result.remaining, report.appliedCount)
    }

    /// Each change of an apply, as a log line.
    private func log(_ report: ApplyReport, _ logger: Logger) {
        for (id, action, result) in report.results {
            switch result {
            case .applied: logger.info("\(action.rawValue) applied", metadata: ["resource": "\(id)"])
            case .failed(let message): logger.error("\(action.rawValue) failed: \(message)", metadata: ["resource": "\(id)"])
            case .notAttempted: break
            }
        }
    }

    /// ` (opens at …)`, when known.
    static func opening(_ window: WindowState?) -> String {
        window?.next.map { " (opens at \(LockInfo.format($0)))" } ?? ""
    }

    /// The first three diagnostics, for a status message.
    static func summary(_ error: ReconcileError) -> String {
        error.diagnostics.prefix(3).map(\.description).joined(separator: "; ")
    }

    /// Up to ten resources by name and a count of the rest: a log line stays short
    /// however many drifted (the full list is in /api/v1/status and the plan).
    public static func few(_ ids: [ResourceID], limit: Int = 10) -> String {
        let named = ids.prefix(limit).map(\.description).joined(separator: ",")
        return ids.count > limit ? named + " and \(ids.count - limit) more" : named
    }

    /// History, for /api/v1/history.
    public func history(limit: Int) async -> Value {
        do throws(ReconcileError) {
            let workspace = try Workspace(ReadOptions(repo: settings.cacheDirectory, revision: "HEAD", path: settings.path))
            let environment = try workspace.environment(settings.environment)
            var records: [ApplyRecord] = []
            if let store = try workspace.existingStore(for: environment) {
                do throws(TargetError) { records = try await store.history(environment.name, limit: limit) } catch { throw ReconcileError(store: error) }
            }
            return HistoryRenderer.json(records, environment: environment.name)
        } catch {
            return .object(["error": .string(error.message)])
        }
    }

    /// A URL without credentials, for logs.
    public static func redact(_ url: String) -> String {
        guard let parsed = URL(string: url), parsed.user != nil || parsed.password != nil, var components = URLComponents(url: parsed, resolvingAgainstBaseURL: false) else { return url }
        components.user = nil
        components.password = nil
        return components.string ?? url
    }
}
