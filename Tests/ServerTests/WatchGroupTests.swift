import Foundation
import Server
import Synchronization
import Testing
import TestSupport

@Suite struct WatchGroupTests {
    /// Cycles of many environments never run more than the gate's permits at once.
    @Test func theGateBoundsCyclesRunAtOnce() async {
        let gate = CycleGate(permits: 2)
        let counts = Counts()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    await gate.enter()
                    counts.change { $0.now += 1; $0.most = max($0.most, $0.now) }
                    try? await Task.sleep(nanoseconds: 20_000_000)
                    counts.change { $0.now -= 1; $0.done += 1 }
                    await gate.leave()
                }
            }
        }
        let result = counts.value
        #expect(result.most == 2, "at most two at once, and two did run together")
        #expect(result.done == 8, "every waiting cycle ran")
    }

    /// Environments asking for a fetch together share one; asking after it started
    /// always fetches again (never an older answer).
    @Test func environmentsShareFetchesButNeverAnOlderOne() async throws {
        let root = try TemporaryDirectory("reconcile-mirror")
        let origin = root.url.appendingPathComponent("origin")
        try Shell.check("git", ["init", "-q", "-b", "main", origin.path])
        try "one\n".write(to: origin.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
        try Shell.check("git", ["-C", origin.path, "add", "."])
        try Shell.check("git", ["-C", origin.path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "one"])
        let mirror = SharedMirror(repository: origin.path, directory: root.url.appendingPathComponent("mirror.git").path, token: nil)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 { group.addTask { try await mirror.sync() } }
            try await group.waitForAll()
        }
        let together = mirror.fetches
        #expect((1...2).contains(together), "eight environments asking at once fetch once or twice, not \(together) times")

        try "two\n".write(to: origin.appendingPathComponent("a.txt"), atomically: true, encoding: .utf8)
        try Shell.check("git", ["-C", origin.path, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-am", "two"])
        try await mirror.sync()
        #expect(mirror.fetches == together + 1)
        let head = try Shell.check("git", ["-C", origin.path, "rev-parse", "HEAD"]).stdout
        let mirrored = try Shell.check("git", ["--git-dir", mirror.directory, "rev-parse", "refs/heads/main"]).stdout
        #expect(mirrored == head, "a fetch asked after the commit sees it")
    }

    /// Two environments' metrics on one registry, told apart by their label.
    @Test func environmentsShareOneRegistry() {
        let registry = MetricsRegistry()
        let dev = Metrics(environment: "dev", registry: registry), staging = Metrics(environment: "staging", registry: registry)
        dev.record(CycleResult(outcome: .applied(changes: 1, seconds: 0.2)))
        staging.record(CycleResult(outcome: .stalled(reason: "FetchFailed", message: "")))
        staging.record(CycleResult(outcome: .stalled(reason: "FetchFailed", message: "")))
        let text = registry.emit()
        #expect(text.contains("reconcile_runs_total{environment=\"dev\",result=\"applied\"} 1\n"), "\(text)")
        #expect(text.contains("reconcile_runs_total{environment=\"staging\",result=\"stalled\"} 2\n"))
        #expect(text.contains("reconcile_runs_total{environment=\"dev\",result=\"stalled\"} 0\n"))
        #expect(text.components(separatedBy: "# TYPE reconcile_runs_total counter").count == 2, "one family, not one per environment")
    }
}

/// How many cycles run now, the most at once, and how many finished.
final class Counts: Sendable {
    private let state = Mutex((now: 0, most: 0, done: 0))
    func change(_ body: (inout (now: Int, most: Int, done: Int)) -> Void) { state.withLock { body(&$0) } }
    var value: (now: Int, most: Int, done: Int) { state.withLock { $0 } }
}
