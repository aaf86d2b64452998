import Foundation
import GitStore
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

    /// A remote that accepts and never answers: the cycle waits a bounded time and
    /// says why, and the process reports itself not live while the fetch hangs.
    @Test func aFetchFromASilentRemoteIsBoundedAndMakesTheProcessNotLive() async throws {
        let silent = try SilentServer()
        let root = try TemporaryDirectory("reconcile-mirror")
        let mirror = SharedMirror(repository: "git://127.0.0.1:\(silent.port)/lake.git", directory: root.url.appendingPathComponent("m.git").path,
                                  token: nil, timeout: 1)
        let group = WatchGroup(members: [], registry: MetricsRegistry(), mirror: mirror)
        #expect(group.notLive() == nil)
        await #expect {
            try await mirror.sync()
        } throws: { error in
            (error as? GitError)?.message.contains("has not finished after 1s") == true
        }
        // Bounded: the answer is the deadline's (its message), given while the fetch still
        // hangs (below). Wall time is not asserted: in a loaded full run the suite's other
        // tests hold the cooperative threads for minutes before this task resumes.
        #expect((mirror.runningFor() ?? 0) > 0.5, "the fetch itself still hangs")
        let reason = try #require(group.notLive(now: Date().addingTimeInterval(2)))
        #expect(reason.contains("cannot be cancelled; restart this process"))
        silent.close()
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

/// A TCP listener on loopback that completes handshakes (the kernel's backlog) and
/// never reads or answers.
final class SilentServer: Sendable {
    let descriptor: Int32
    let port: Int

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(descriptor, 16) == 0 else { throw TestFailure("cannot listen on loopback") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { shutdown(descriptor, Int32(SHUT_RDWR)); Glibc.close(descriptor) }
}
