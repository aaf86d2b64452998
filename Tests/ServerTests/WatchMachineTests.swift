import Foundation
import Testing
import Engine
import Model
@testable import Server

@Suite struct WatchMachineTests {
    let t0 = Date(timeIntervalSince1970: 1_000)

    func applied(_ revision: String = "abc1234def") -> CycleResult {
        CycleResult(outcome: .applied(changes: 3, seconds: 0.2), revision: revision, resourcesByKind: ["Table": 2, "Catalog": 1],
                    lastApplied: (revision, Date(timeIntervalSince1970: 1_001)))
    }

    @Test func aTickRunsACycleAndTheNextIsScheduledWithJitter() {
        var machine = WatchMachine(environment: "dev", interval: 60, jitter: 0.1, now: t0)
        #expect(machine.handle(.tick, now: t0) == [.runCycle(reason: "interval")])
        #expect(machine.status.condition(.reconciling).status)
        let actions = machine.handle(.cycleFinished(CycleResult(outcome: .synced, revision: "r1")), now: t0, random: 0.5)
        #expect(actions == [.schedule(after: 63)])
        #expect(machine.status.condition(.ready).status)
        #expect(machine.status.condition(.ready).reason == "Synced")
        #expect(machine.status.sync == .synced)
        #expect(!machine.status.condition(.reconciling).status)
    }

    @Test func triggersDuringACycleRunOneMoreCycleAfterIt() {
        var machine = WatchMachine(environment: "dev", interval: 60, now: t0)
        _ = machine.handle(.tick, now: t0)
        #expect(machine.handle(.trigger("webhook"), now: t0).isEmpty)
        #expect(machine.handle(.trigger("api"), now: t0).isEmpty)
        let actions = machine.handle(.cycleFinished(applied()), now: t0)
        #expect(actions.contains(.runCycle(reason: "api")))
        #expect(!actions.contains { if case .schedule = $0 { return true }; return false })
    }

    @Test func appliedAndAttemptedRevisionsAreKeptApart() {
        var machine = WatchMachine(environment: "dev", interval: 60, now: t0)
        _ = machine.handle(.tick, now: t0)
        let done = machine.handle(.cycleFinished(applied("good1234567")), now: t0)
        #expect(done.contains { if case .notify(let n) = $0 { return n.event == .applySucceeded }; return false })
        #expect(machine.status.resources == 3)
        _ = machine.handle(.tick, now: t0)
        let failed = CycleResult(outcome: .applyFailed(message: "boom", seconds: 1), revision: "bad7654321", lastApplied: ("good1234567", Date(timeIntervalSince1970: 1_001)))
        let actions = machine.handle(.cycleFinished(failed), now: t0)
        #expect(machine.status.lastAttemptedRevision == "bad7654321")
        #expect(machine.status.lastAppliedRevision == "good1234567")
        #expect(machine.status.condition(.stalled).status && machine.status.condition(.stalled).reason == "ApplyFailed")
        #expect(!machine.status.condition(.ready).status)
        #expect(actions.contains { if case .notify(let n) = $0 { return n.event == .applyFailed && n.text.contains("boom") }; return false })
    }

    @Test func failuresBackOffExponentiallyAndRecover() {
        var machine = WatchMachine(environment: "dev", interval: 10, jitter: 0, maxBackoff: 60, now: t0)
        var delays: [Double] = []
        for _ in 0..<5 {
            _ = machine.handle(.tick, now: t0)
            for action in machine.handle(.cycleFinished(CycleResult(outcome: .stalled(reason: "FetchFailed", message: "unreachable"))), now: t0) {
                if case .schedule(let delay) = action { delays.append(delay) }
            }
        }
        #expect(delays == [10, 20, 40, 60, 60])
        #expect(machine.status.condition(.stalled).reason == "FetchFailed")
        _ = machine.handle(.tick, now: t0)
        let recovered = machine.handle(.cycleFinished(CycleResult(outcome: .synced, revision: "r")), now: t0)
        #expect(recovered == [.schedule(after: 10)])
        #expect(machine.status.consecutiveFailures == 0)
        #expect(!machine.status.condition(.stalled).status)
    }

    @Test func stopWaitsForTheCycleInFlight() {
        var machine = WatchMachine(environment: "dev", interval: 60, now: t0)
        #expect(machine.handle(.stop, now: t0) == [.exit], "idle: exit at once")
        var busy = WatchMachine(environment: "dev", interval: 60, now: t0)
        _ = busy.handle(.tick, now: t0)
        #expect(busy.handle(.stop, now: t0).isEmpty)
        #expect(busy.handle(.tick, now: t0).isEmpty, "no new cycle once stopping")
        #expect(busy.handle(.cycleFinished(CycleResult(outcome: .stopped, revision: "r")), now: t0) == [.exit])
    }

    @Test func driftIsNotified() {
        var machine = WatchMachine(environment: "dev", interval: 60, now: t0)
        _ = machine.handle(.tick, now: t0)
        let actions = machine.handle(.cycleFinished(CycleResult(outcome: .synced, revision: "r", drifted: 2)), now: t0)
        #expect(machine.status.driftedResources == 2)
        #expect(machine.status.condition(.ready).reason == "DriftReported")
        #expect(actions.contains { if case .notify(let n) = $0 { return n.event == .driftFound }; return false })
    }

    @Test func metricsRender() {
        let metrics = Metrics(environment: "dev")
        metrics.record(applied())
        metrics.record(CycleResult(outcome: .synced))
        var machine = WatchMachine(environment: "dev", interval: 60, now: t0)
        _ = machine.handle(.tick, now: t0)
        _ = machine.handle(.cycleFinished(applied()), now: t0)
        let text = metrics.render(machine.status)
        #expect(text.contains("reconcile_runs_total{environment=\"dev\",result=\"applied\"} 1\n"))
        #expect(text.contains("reconcile_apply_duration_seconds_bucket{environment=\"dev\",le=\"0.25\"} 1\n"))
        #expect(text.contains("reconcile_apply_duration_seconds_bucket{environment=\"dev\",le=\"0.1\"} 0\n"))
        // Gauges are doubles in swift-prometheus' exposition.
        #expect(text.contains("reconcile_resources{environment=\"dev\",kind=\"Table\"} 2.0\n"), "\(text)")
        #expect(text.contains("reconcile_last_applied_timestamp_seconds{environment=\"dev\"} 1001.0\n"))
        #expect(text.contains("reconcile_runs_total{environment=\"dev\",result=\"stalled\"} 0\n"), "every result is exported from the start")
        #expect(text.contains("# TYPE reconcile_apply_duration_seconds histogram"))
        metrics.addRequests(["mlflow http://127.0.0.1:5000": 3])
        metrics.addRequests(["mlflow http://127.0.0.1:5000": 2])
        #expect(metrics.render(machine.status).contains("reconcile_target_requests_total{environment=\"dev\",target=\"mlflow http://127.0.0.1:5000\"} 5\n"))
    }

    @Test func hmacMatchesRFC4231() {
        let mac = Digest.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(Digest.hex(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func logLinesNameAFewResourcesAndCountTheRest() {
        let ids = (0..<10_101).map { ResourceID(.table, "main.s.t\($0)") }
        let line = CycleRunner.few(ids)
        #expect(line.hasPrefix("Table/main.s.t0,Table/main.s.t1,") && line.hasSuffix(" and 10091 more"))
        #expect(line.count < 300)
        #expect(CycleRunner.few(Array(ids.prefix(2))) == "Table/main.s.t0,Table/main.s.t1")
    }
}
