import Foundation

/// The watch loop's metrics, rendered in Prometheus' text exposition format.
public struct Metrics: Sendable {
    public static let buckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]

    public let environment: String
    public private(set) var runs: [String: Int] = [:]
    public private(set) var applyDurations = Histogram()
    public private(set) var cycleDurations = Histogram()

    /// Counts per bucket, a sum and a count: constant memory however long the loop runs.
    public struct Histogram: Sendable {
        public private(set) var counts = Array(repeating: 0, count: Metrics.buckets.count)
        public private(set) var sum: Double = 0
        public private(set) var count = 0

        mutating func observe(_ value: Double) {
            for (index, bound) in Metrics.buckets.enumerated() where value <= bound { counts[index] += 1 }
            sum += value
            count += 1
        }

        func render(_ name: String, _ labels: String) -> String {
            var out = ""
            for (bound, count) in zip(Metrics.buckets, counts) {
                out += "\(name)_bucket{\(labels),le=\"\(Metrics.number(bound))\"} \(count)\n"
            }
            out += "\(name)_bucket{\(labels),le=\"+Inf\"} \(count)\n"
            out += "\(name)_sum{\(labels)} \(Metrics.number(sum))\n"
            out += "\(name)_count{\(labels)} \(count)\n"
            return out
        }
    }
    /// Requests made to remote targets, by target (none for the local lakehouse).
    public var requests: [String: Int] = [:]

    public init(environment: String) { self.environment = environment }

    public mutating func record(_ result: CycleResult, seconds: Double? = nil) {
        runs[result.resultLabel, default: 0] += 1
        if let seconds { cycleDurations.observe(seconds) }
        switch result.outcome {
        case .applied(_, let seconds), .applyFailed(_, let seconds): applyDurations.observe(seconds)
        default: break
        }
    }

    public func render(_ status: WatchStatus) -> String {
        let env = "environment=\"\(Self.escape(environment))\""
        var out = ""
        func header(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        header("reconcile_runs_total", "counter", "Reconcile cycles, by result.")
        for result in ["synced", "out_of_sync", "applied", "apply_failed", "stalled", "stopped"] {
            out += "reconcile_runs_total{\(env),result=\"\(result)\"} \(runs[result] ?? 0)\n"
        }
        header("reconcile_apply_duration_seconds", "histogram", "How long applies took.")
        out += applyDurations.render("reconcile_apply_duration_seconds", env)
        header("reconcile_drifted_resources", "gauge", "Resources drifted from the last applied revision.")
        out += "reconcile_drifted_resources{\(env)} \(status.driftedResources)\n"
        header("reconcile_pending_changes", "gauge", "Changes pending at the fetched revision.")
        out += "reconcile_pending_changes{\(env)} \(status.pendingChanges)\n"
        header("reconcile_cycle_duration_seconds", "histogram", "How long reconcile cycles took (fetch, render, observe, plan, drift).")
        out += cycleDurations.render("reconcile_cycle_duration_seconds", env)
        header("reconcile_last_applied_timestamp_seconds", "gauge", "When the last successful apply finished (Unix time).")
        out += "reconcile_last_applied_timestamp_seconds{\(env)} \(Self.number(status.lastAppliedAt?.timeIntervalSince1970 ?? 0))\n"
        header("reconcile_resources", "gauge", "Resources declared, by kind.")
        for kind in status.resourcesByKind.keys.sorted() {
            out += "reconcile_resources{\(env),kind=\"\(Self.escape(kind))\"} \(status.resourcesByKind[kind]!)\n"
        }
        header("reconcile_ready", "gauge", "1 when the Ready condition holds.")
        out += "reconcile_ready{\(env)} \(status.condition(.ready).status ? 1 : 0)\n"
        header("reconcile_target_requests_total", "counter", "Requests made to remote targets.")
        for target in requests.keys.sorted() {
            out += "reconcile_target_requests_total{\(env),target=\"\(Self.escape(target))\"} \(requests[target]!)\n"
        }
        return out
    }

    static func number(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    static func escape(_ text: String) -> String {
        text.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"").replacing("\n", with: "\\n")
    }
}
