import CoreMetrics
import Prometheus
import Synchronization

/// One Prometheus registry for a watch process (no global bootstrap): every
/// environment's metrics are on it, told apart by their `environment` label.
public final class MetricsRegistry: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets = ["reconcile_apply_duration_seconds": Metrics.buckets, "reconcile_cycle_duration_seconds": Metrics.buckets]
        self.factory = factory
    }

    /// Prometheus' text exposition of every environment's metrics.
    public func emit() -> String { registry.emitToString() }
}

/// One watched environment's metrics: swift-metrics instruments labelled with the
/// environment, on the process's registry, rendered in Prometheus' text format.
public final class Metrics: Sendable {
    public static let buckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]
    static let results = ["synced", "out_of_sync", "applied", "apply_failed", "stalled", "stopped"]

    public let environment: String
    private let registry: MetricsRegistry
    private let factory: PrometheusMetricsFactory
    private let runs: [String: CoreMetrics.Counter]
    private let applyDurations: CoreMetrics.Recorder
    private let cycleDurations: CoreMetrics.Recorder
    private let drifted: CoreMetrics.Gauge
    private let pending: CoreMetrics.Gauge
    private let lastApplied: CoreMetrics.Gauge
    private let ready: CoreMetrics.Gauge
    /// Gauges per declared kind and counters per remote target, made as they appear.
    private let dynamic = Mutex<(kinds: [String: CoreMetrics.Gauge], requests: [String: CoreMetrics.Counter])>(([:], [:]))

    public init(environment: String, registry: MetricsRegistry = MetricsRegistry()) {
        self.environment = environment
        self.registry = registry
        let factory = registry.factory
        self.factory = factory
        let env = [("environment", environment)]
        runs = Dictionary(uniqueKeysWithValues: Self.results.map { result in
            (result, CoreMetrics.Counter(label: "reconcile_runs_total", dimensions: env + [("result", result)], factory: factory))
        })
        applyDurations = CoreMetrics.Recorder(label: "reconcile_apply_duration_seconds", dimensions: env, aggregate: true, factory: factory)
        cycleDurations = CoreMetrics.Recorder(label: "reconcile_cycle_duration_seconds", dimensions: env, aggregate: true, factory: factory)
        drifted = CoreMetrics.Gauge(label: "reconcile_drifted_resources", dimensions: env, factory: factory)
        pending = CoreMetrics.Gauge(label: "reconcile_pending_changes", dimensions: env, factory: factory)
        lastApplied = CoreMetrics.Gauge(label: "reconcile_last_applied_timestamp_seconds", dimensions: env, factory: factory)
        ready = CoreMetrics.Gauge(label: "reconcile_ready", dimensions: env, factory: factory)
    }

    public func record(_ result: CycleResult, seconds: Double? = nil) {
        runs[result.resultLabel]?.increment()
        if let seconds { cycleDurations.record(seconds) }
        switch result.outcome {
        case .applied(_, let seconds), .applyFailed(_, let seconds): applyDurations.record(seconds)
        case .synced, .outOfSync, .stalled, .stopped: break
        }
    }

    /// Adds requests made to remote targets in one cycle, by target.
    public func addRequests(_ counts: [String: Int]) {
        let environment = self.environment, factory = self.factory
        dynamic.withLock { state in
            for (target, count) in counts where count > 0 {
                let counter = state.requests[target] ?? CoreMetrics.Counter(label: "reconcile_target_requests_total",
                                                                dimensions: [("environment", environment), ("target", target)], factory: factory)
                state.requests[target] = counter
                counter.increment(by: count)
            }
        }
    }

    /// The text exposition of the whole registry, with this environment's gauges read from `status`.
    public func render(_ status: WatchStatus) -> String {
        update(status)
        return registry.emit()
    }

    /// Sets the gauges from `status`.
    public func update(_ status: WatchStatus) {
        drifted.record(status.driftedResources)
        pending.record(status.pendingChanges)
        lastApplied.record(status.lastAppliedAt?.timeIntervalSince1970 ?? 0)
        ready.record(status.condition(.ready).status ? 1 : 0)
        let environment = self.environment, factory = self.factory
        dynamic.withLock { state in
            for (kind, gauge) in state.kinds where status.resourcesByKind[kind] == nil {
                gauge.destroy()
                state.kinds[kind] = nil
            }
            for (kind, count) in status.resourcesByKind {
                let gauge = state.kinds[kind] ?? CoreMetrics.Gauge(label: "reconcile_resources", dimensions: [("environment", environment), ("kind", kind)], factory: factory)
                state.kinds[kind] = gauge
                gauge.record(count)
            }
        }
    }
}
