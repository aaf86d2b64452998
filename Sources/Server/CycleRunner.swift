import Engine
import Foundation
import GitStore
import Loading
import LocalTarget
import Logging
import Model
import Rendering
import SQLiteState
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
/// Blocking I/O: run it off the actor's executor.
public struct CycleRunner: Sendable {
    public let settings: WatchSettings
    let logger: Logger
    /// Revisions parsed and states rendered in earlier cycles.
    let cache = LoadCache()

    public init(settings: WatchSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
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
        public var plan: Value?
        /// The applied flags file, for OFREP.
        public var flagsFile: URL?
        /// The environment's notification webhooks, as its file says now.
        public var notifications: [String]?
        /// Requests this cycle made to remote targets, by target.
        public var requests: [String: Int] = [:]
        /// How long the cycle took.
        public var seconds: Double = 0
    }

    public func run(shouldStop: @escaping @Sendable () -> Bool) -> Output {
        let started = Date(), loads = cache.loads
        var output = cycle(shouldStop: shouldStop)
        output.seconds = Date().timeIntervalSince(started)
        if cache.loads != loads { Self.returnFreedMemory() }
        return output
    }

    private func cycle(shouldStop: @escaping @Sendable () -> Bool) -> Output {
        var logger = self.logger
        // 1. Fetch.
        do throws(GitError) {
            _ = try Mirror.sync(url: settings.repository, into: settings.cacheDirectory, token: settings.token)
        } catch {
            logger.error("fetch failed: \(error.message)")
            return Output(result: CycleResult(outcome: .stalled(reason: "FetchFailed", message: "fetching \(Self.redact(settings.repository)) failed: \(error.message)")))
        }
        let workspace: Workspace
        let environment: Environment
        let state: DesiredState
        do throws(CommandFailure) {
            workspace = try Workspace(ReadOptions(repo: settings.cacheDirectory, revision: "HEAD", path: settings.path), cache: cache)
            workspace.warn = { [logger] in logger.warning("\($0)") }
            environment = try workspace.environment(settings.environment)
            state = try workspace.desired(environment)
        } catch {
            logger.error("the revision does not validate: \(error.diagnostics.first?.description ?? "")")
            return Output(result: CycleResult(outcome: .stalled(reason: "ValidationFailed", message: error.diagnostics.prefix(3).map(\.description).joined(separator: "; "))))
        }
        logger[metadataKey: "revision"] = "\(state.shortRevision)"
        let target = workspace.target(for: environment)
        let flagsFile = target.local(for: .featureFlag)?.root.appendingPathComponent("flags.json")
        let kinds = Dictionary(grouping: state.resources, by: \.id.kind.rawValue).mapValues(\.count)
        func stalled(_ reason: String, _ failure: CommandFailure, plan: Value? = nil) -> Output {
            logger.error("\(reason): \(failure.diagnostics.first?.description ?? "")")
            return Output(result: CycleResult(outcome: .stalled(reason: reason, message: failure.diagnostics.prefix(3).map(\.description).joined(separator: "; ")),
                                              revision: state.revision, resourcesByKind: kinds), plan: plan, flagsFile: flagsFile,
                          notifications: environment.notifications)
        }
        do throws(CommandFailure) {
            let store = try workspace.store(for: environment)
            let plan = try workspace.plan(state, target: target, store: store, options: .init())
            let planJSON = PlanRenderer.json(plan)
            var outcome = CycleResult.Outcome.synced
            // Sync follows git: a revision not yet applied is applied (auto-sync) or
            // reported. At the applied revision, differences are drift, handled below
            // as the drift policy says, like Argo CD's self-heal.
            let lastApplied: ApplyRecord?
            do throws(TargetError) { lastApplied = try store.lastSuccessfulApply(environment.name) } catch { throw CommandFailure(error.description) }
            let newRevision = lastApplied?.revision != state.revision
            if newRevision && plan.hasChanges && !environment.policy.autoSync {
                outcome = .outOfSync(pending: plan.changes.count)
                logger.info("out of sync: \(plan.changes.count) changes pending; auto-sync is off")
            } else if newRevision && environment.policy.autoSync {
                let started = Date()
                do throws(CommandFailure) {
                    let report = try workspace.withLock(environment, store: store, command: "watch") { () throws(CommandFailure) in
                        // Plan again under the lock: another apply may have run since.
                        let current = try workspace.plan(state, target: target, store: store, options: .init())
                        return try workspace.apply(current, on: target, store: store, kind: .apply, shouldStop: shouldStop)
                    }
                    let seconds = Date().timeIntervalSince(started)
                    if let report {
                        for (id, action, result) in report.results {
                            switch result {
                            case .applied: logger.info("\(action.rawValue) applied", metadata: ["resource": "\(id)"])
                            case .failed(let message): logger.error("\(action.rawValue) failed: \(message)", metadata: ["resource": "\(id)"])
                            case .notAttempted: break
                            }
                        }
                        if report.stopped {
                            outcome = .stopped
                        } else if let failure = Workspace.failure(of: report) {
                            outcome = .applyFailed(message: failure.diagnostics.first?.message ?? "apply failed", seconds: seconds)
                        } else {
                            outcome = .applied(changes: report.appliedCount, seconds: seconds)
                        }
                    }
                } catch {
                    return stalled(Self.stalledReason(error.kind), error, plan: planJSON)
                }
            }
            // Drift against what was applied: heal or report.
            var drifted = 0, healed = 0
            if outcome != .stopped && !shouldStop() {
                // At the applied revision with nothing applied this cycle, the plan just
                // made is the drift: no second render and observation.
                let drift = !newRevision && outcome == .synced
                    ? DriftReport(environment: environment.name, revision: state.revision, appliedAt: lastApplied?.finishedAt, plan: plan)
                    : try workspace.drift(environment, store: store, policy: .init())
                drifted = drift.plan.changes.count
                if drifted > 0 {
                    logger.warning("drift: \(drift.changed.count) changed, \(drift.missing.count) missing, \(drift.extra.count) extra", metadata: ["resources": "\(Self.few(drift.plan.changes.map(\.id)))"])
                    if environment.policy.drift == .heal {
                        // Heal what the policy allows; what it refuses stays reported as drift.
                        let report = try workspace.withLock(environment, store: store, command: "watch heal") { () throws(CommandFailure) in
                            let (healable, refused) = DriftHeal.split(try workspace.drift(environment, store: store, policy: .init()).plan)
                            if !refused.isEmpty {
                                logger.warning("drift not healed: the policy refuses \(refused.count) change\(refused.count == 1 ? "" : "s")", metadata: ["resources": "\(Self.few(refused.map(\.id)))"])
                            }
                            return healable.hasChanges ? try workspace.apply(healable, on: target, store: store, kind: .heal, shouldStop: shouldStop) : nil
                        }
                        if let report, Workspace.failure(of: report) == nil, !report.stopped {
                            healed = report.appliedCount
                            logger.info("drift healed: \(healed) resources restored")
                            drifted = try workspace.drift(environment, store: store, policy: .init()).plan.changes.count
                        }
                    }
                }
            }
            let last = try? store.lastSuccessfulApply(environment.name) as ApplyRecord?
            var output = Output(result: CycleResult(outcome: outcome, revision: state.revision, resourcesByKind: kinds, drifted: drifted, healed: healed,
                                                    lastApplied: last.map { ($0.revision, $0.finishedAt ?? $0.startedAt) }),
                                plan: planJSON, flagsFile: flagsFile, notifications: environment.notifications)
            output.requests = target.requestCounts
            return output
        } catch {
            return stalled("PlanFailed", error)
        }
    }

    /// Up to ten resources by name and a count of the rest: a log line stays short
    /// however many drifted (the full list is in /api/v1/status and the plan).
    public static func few(_ ids: [ResourceID], limit: Int = 10) -> String {
        let named = ids.prefix(limit).map(\.description).joined(separator: ",")
        return ids.count > limit ? named + " and \(ids.count - limit) more" : named
    }

    /// The status reason for a failed apply, by the failure's kind.
    static func stalledReason(_ kind: CommandFailure.Kind) -> String {
        switch kind {
        case .locked: return "Locked"
        case .policyRefused: return "PolicyRefused"
        case .invalid: return "ValidationFailed"
        case .failed: return "ApplyFailed"
        }
    }

    /// History, for /api/v1/history.
    public func history(limit: Int) -> Value {
        do throws(CommandFailure) {
            let workspace = try Workspace(ReadOptions(repo: settings.cacheDirectory, revision: "HEAD", path: settings.path))
            let environment = try workspace.environment(settings.environment)
            var records: [ApplyRecord] = []
            if let store = try workspace.existingStore(for: environment) {
                do throws(TargetError) { records = try store.history(environment.name, limit: limit) } catch { throw CommandFailure(error.description) }
            }
            return HistoryRenderer.json(records, environment: environment.name)
        } catch {
            return .object(["error": .string(error.message)])
        }
    }

    /// A URL without credentials, for logs.
    static func redact(_ url: String) -> String {
        guard let parsed = URL(string: url), parsed.user != nil || parsed.password != nil, var components = URLComponents(url: parsed, resolvingAgainstBaseURL: false) else { return url }
        components.user = nil
        components.password = nil
        return components.string ?? url
    }
}
