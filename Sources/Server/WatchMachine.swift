import Foundation

/// The watch loop as a pure state machine: events in, actions out. One actor
/// drives it; the cycles, timers, notifications and exit are the actor's to do.
public struct WatchMachine: Sendable {
    public enum Event: Sendable {
        /// The interval elapsed.
        case tick
        /// A verified push webhook, or POST /api/v1/sync: reconcile now.
        case trigger(String)
        case cycleFinished(CycleResult)
        /// SIGTERM or SIGINT.
        case stop
    }

    public enum Action: Sendable, Equatable {
        case runCycle(reason: String)
        /// Schedule the next tick this many seconds from now.
        case schedule(after: Double)
        case notify(Notification)
        /// Everything in flight is done and recorded: exit.
        case exit
    }

    public private(set) var status: WatchStatus
    public let interval: Double
    /// Up to this fraction of the interval is added at random, so many watchers
    /// do not fetch in step.
    public let jitter: Double
    public let maxBackoff: Double
    public private(set) var running = false
    public private(set) var stopping = false
    private var queued: String?

    public init(environment: String, interval: Double, jitter: Double = 0.1, maxBackoff: Double = 600, now: Date = Date()) {
        status = WatchStatus(environment: environment, now: now)
        self.interval = interval
        self.jitter = jitter
        self.maxBackoff = max(maxBackoff, interval)
    }

    /// `random` is in 0..<1 (the jitter), given so the machine stays deterministic.
    public mutating func handle(_ event: Event, now: Date, random: Double = 0) -> [Action] {
        switch event {
        case .tick:
            return start("interval", now: now)
        case .trigger(let reason):
            return start(reason, now: now)
        case .stop:
            stopping = true
            return running ? [] : [.exit]
        case .cycleFinished(let result):
            running = false
            var actions = record(result, now: now)
            if stopping { return actions + [.exit] }
            if let reason = queued {
                queued = nil
                return actions + start(reason, now: now)
            }
            let delay = nextDelay(random: random)
            status.nextRunAt = now.addingTimeInterval(delay)
            actions.append(.schedule(after: delay))
            return actions
        }
    }

    private mutating func start(_ reason: String, now: Date) -> [Action] {
        guard !stopping else { return [] }
        guard !running else {
            queued = reason // one more cycle after this one, however many triggers came
            return []
        }
        running = true
        status.lastRunAt = now
        status.set(.reconciling, true, reason: "Progressing", message: "reconciling (\(reason))", now: now)
        return [.runCycle(reason: reason)]
    }

    /// Exponential backoff after failures, the interval (with jitter) otherwise.
    func nextDelay(random: Double) -> Double {
        let failures = status.consecutiveFailures
        if failures > 0 {
            return min(maxBackoff, interval * pow(2, Double(min(failures, 20)) - 1))
        }
        return interval * (1 + jitter * random)
    }

    private mutating func record(_ result: CycleResult, now: Date) -> [Action] {
        var actions: [Action] = []
        let environment = status.environment
        status.set(.reconciling, false, reason: "Idle", message: "", now: now)
        if !result.resourcesByKind.isEmpty {
            status.resourcesByKind = result.resourcesByKind
            status.resources = result.resourcesByKind.values.reduce(0, +)
        }
        if let revision = result.revision { status.lastFetchedRevision = revision }
        if let applied = result.lastApplied {
            status.lastAppliedRevision = applied.revision
            status.lastAppliedAt = applied.at
        }
        status.driftedResources = result.drifted
        if let leads = result.leads { status.role = leads ? "leader" : "standby" }
        switch result.outcome {
        case .synced:
            status.sync = .synced
            status.pendingChanges = 0
            succeed(result.drifted > 0 ? "DriftReported" : "Synced",
                    result.drifted > 0 ? "\(result.drifted) resources drifted from \(short(status.lastAppliedRevision))" : "the target matches \(short(result.revision))", now: now)
        case .outOfSync(let pending):
            status.sync = .outOfSync
            status.pendingChanges = pending
            succeed("OutOfSync", "\(pending) changes pending at \(short(result.revision)); auto-sync is off", now: now)
        case .applied(let changes, _):
            status.sync = .synced
            status.pendingChanges = 0
            status.lastAttemptedRevision = result.revision
            succeed("Applied", "applied \(changes) changes of \(short(result.revision))", now: now)
            actions.append(.notify(Notification(event: .applySucceeded, environment: environment, revision: result.revision,
                                                text: "reconcile: applied \(changes) changes of \(short(result.revision)) to \(environment)")))
        case .applyFailed(let message, _):
            status.lastAttemptedRevision = result.revision
            fail("ApplyFailed", message, now: now)
            actions.append(.notify(Notification(event: .applyFailed, environment: environment, revision: result.revision,
                                                text: "reconcile: apply of \(short(result.revision)) to \(environment) failed: \(message)")))
        case .stalled(let reason, let message):
            fail(reason, message, now: now)
        case .stopped:
            status.lastAttemptedRevision = result.revision
        }
        if result.drifted > 0 {
            actions.append(.notify(Notification(event: .driftFound, environment: environment, revision: status.lastAppliedRevision,
                                                text: "reconcile: \(result.drifted) resources in \(environment) drifted from \(short(status.lastAppliedRevision))")))
        }
        return actions
    }

    private mutating func succeed(_ reason: String, _ message: String, now: Date) {
        status.consecutiveFailures = 0
        status.set(.ready, true, reason: reason, message: message, now: now)
        status.set(.stalled, false, reason: "None", message: "", now: now)
    }

    private mutating func fail(_ reason: String, _ message: String, now: Date) {
        status.consecutiveFailures += 1
        status.set(.ready, false, reason: reason, message: message, now: now)
        status.set(.stalled, true, reason: reason, message: message, now: now)
    }

    private func short(_ revision: String?) -> String { revision.map { String($0.prefix(7)) } ?? "(none)" }
}
