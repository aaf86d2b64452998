import Foundation
import Logging
import Model
import Rendering
import ServiceLifecycle
import Synchronization

/// A flag other threads set and the apply loop reads between changes.
final class StopFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

/// The one actor that drives the watch machine: it runs cycles off its executor,
/// keeps the timer, sends notifications, and on graceful shutdown (SIGTERM, SIGINT)
/// lets the change in flight finish and be recorded before it returns.
public actor Reconciler: Service {
    private var machine: WatchMachine
    private let metrics: Metrics
    private let gate: CycleGate
    /// The environment this reconciler keeps.
    public nonisolated let environment: String
    private var lastPlan: (plan: Plan, run: RunReport)?
    private var flagsFile: URL?
    private let runner: CycleRunner
    private var notifier: Notifier
    private let logger: Logger
    private let stopFlag = StopFlag()
    private var timer: Task<Void, Never>?
    private var exitWaiters: [CheckedContinuation<Void, Never>] = []
    private var exited = false

    /// `metrics` on the process's registry, `gate` shared by the process's reconcilers.
    public init(runner: CycleRunner, interval: Double, notifier: Notifier, logger: Logger, metrics: Metrics? = nil, gate: CycleGate = CycleGate(permits: 1)) {
        environment = runner.settings.environment
        machine = WatchMachine(environment: runner.settings.environment, interval: interval)
        self.metrics = metrics ?? Metrics(environment: runner.settings.environment)
        self.gate = gate
        self.runner = runner
        self.notifier = notifier
        self.logger = logger
    }

    // MARK: Service

    /// Starts the first cycle: called once the HTTP server listens, so nothing is
    /// reconciled by a watch that cannot serve its status.
    public func start() {
        guard !started else { return }
        started = true
        send(.tick)
    }

    private var started = false

    public func run() async throws {
        // A graceful shutdown (SIGTERM) and a cancellation (the HTTP server failed, so
        // the service group stops) end the loop the same way: after the change in flight.
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await self.waitForExit()
            } onGracefulShutdown: {
                self.stopFlag.set()
                Task { await self.send(.stop) }
            }
        } onCancel: {
            self.stopFlag.set()
            Task { await self.send(.stop) }
        }
    }

    private func waitForExit() async {
        if exited { return }
        await withCheckedContinuation { exitWaiters.append($0) }
    }

    // MARK: Events

    public func trigger(_ reason: String) { send(.trigger(reason)) }

    private func send(_ event: WatchMachine.Event) {
        let actions = machine.handle(event, now: Date(), random: Double.random(in: 0..<1))
        for action in actions { perform(action) }
    }

    private func perform(_ action: WatchMachine.Action) {
        switch action {
        case .runCycle(let reason):
            logger.info("reconciling", metadata: ["trigger": "\(reason)"])
            let runner = self.runner, stop = stopFlag, gate = self.gate
            // Off the actor: the cycle's git and file reads block the task running it,
            // and its requests to remote targets wait without holding a thread. The gate
            // bounds how many environments' cycles run at once.
            Task.detached {
                await gate.enter()
                let output = stop.isSet ? CycleRunner.Output(result: CycleResult(outcome: .stopped)) : await runner.run(shouldStop: { stop.isSet })
                await gate.leave()
                await self.finished(output)
            }
        case .schedule(let delay):
            timer?.cancel()
            timer = Task {
                try? await Task.sleep(nanoseconds: UInt64(max(0, delay) * 1_000_000_000))
                guard !Task.isCancelled else { return }
                self.send(.tick)
            }
        case .notify(let notification):
            notifier.send(notification)
        case .exit:
            timer?.cancel()
            exited = true
            logger.info("stopped: the change in flight finished and was recorded")
            for waiter in exitWaiters { waiter.resume() }
            exitWaiters = []
        }
    }

    private func finished(_ output: CycleRunner.Output) {
        metrics.record(output.result, seconds: output.seconds)
        metrics.addRequests(output.requests)
        if let plan = output.plan { lastPlan = plan }
        if let file = output.flagsFile { flagsFile = file }
        if let urls = output.notifications, urls != notifier.urls { notifier = Notifier(urls: urls, logger: logger) }
        send(.cycleFinished(output.result))
    }

    // MARK: Reads for the API

    public var status: WatchStatus { machine.status }
    public var plan: Value? { lastPlan.map { PlanRenderer.json($0.plan, run: $0.run) } }
    public var appliedFlags: URL? { flagsFile }
    /// Sets this environment's gauges from its status (the group emits the registry).
    public func updateMetrics() { metrics.update(machine.status) }
    public func history(limit: Int) async -> Value {
        let runner = self.runner
        // Off the actor: reading the mirror blocks the task that reads it.
        return await Task.detached { await runner.history(limit: limit) }.value
    }
}
