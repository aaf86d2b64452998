import Dispatch
import Foundation
import GitStore
import Synchronization

/// The environments one watch process reconciles, each by its own reconciler (its own
/// schedule, status and election), sharing one git mirror, one metrics registry and
/// a bound on the cycles run at once.
public struct WatchGroup: Sendable {
    /// Ordered by environment name.
    public let members: [Reconciler]
    let registry: MetricsRegistry
    /// The mirror they share.
    public let mirror: SharedMirror?

    public init(members: [Reconciler], registry: MetricsRegistry, mirror: SharedMirror? = nil) {
        self.members = members.sorted { $0.environment < $1.environment }
        self.registry = registry
        self.mirror = mirror
    }

    /// Why the process is not live, if it is not: a fetch libgit2 cannot cancel has run
    /// past the mirror's timeout, so every environment waits on it until a restart.
    public func notLive(now: Date = Date()) -> String? {
        guard let mirror, let running = mirror.runningFor(now: now), running > mirror.timeout else { return nil }
        return "a fetch of \(CycleRunner.redact(mirror.repository)) has run for \(Int(running))s, over the \(Int(mirror.timeout))s limit, and cannot be cancelled; restart this process"
    }

    public var names: [String] { members.map(\.environment) }

    public func reconciler(_ environment: String) -> Reconciler? {
        members.first { $0.environment == environment }
    }

    /// The one reconciler when the process watches one environment: the routes without
    /// an environment in their path serve it, and only it.
    public var only: Reconciler? { members.count == 1 ? members[0] : nil }

    /// Every environment's metrics, in one exposition.
    public func metricsText() async -> String {
        for member in members { await member.updateMetrics() }
        return registry.emit()
    }
}

/// The repository's mirror, shared by every environment a process watches. Fetches
/// run one at a time on a thread of their own (libgit2 blocks; the tasks serving HTTP
/// never wait on it), and a cycle that asks while another's fetch is queued or running
/// takes the next fetch that starts after it asked: never an older one. A cycle waits
/// at most `timeout` seconds; libgit2 1.5 cannot cancel a fetch from a server that
/// stopped answering, so one running longer makes the process not live (`/healthz`).
public final class SharedMirror: Sendable {
    public let repository: String
    public let directory: String
    /// The longest a cycle waits for a fetch, in seconds.
    public let timeout: Double
    private let token: String?
    private let queue = DispatchQueue(label: "reconcile.mirror")
    /// When the last fetch started, and how it ended; when the one running now started.
    private let state = Mutex<(last: (started: Date, failure: GitError?)?, running: Date?, fetches: Int)>((nil, nil, 0))

    public init(repository: String, directory: String, token: String?, timeout: Double = 300) {
        self.repository = repository
        self.directory = directory
        self.token = token
        self.timeout = timeout
    }

    /// How many fetches ran (a test counts them).
    public var fetches: Int { state.withLock { $0.fetches } }

    /// How long the fetch running now has run, in seconds (nil: none runs).
    public func runningFor(now: Date = Date()) -> Double? {
        state.withLock { $0.running.map { now.timeIntervalSince($0) } }
    }

    /// Brings the mirror up to date with the remote as it is now, or after now.
    public func sync() async throws(GitError) {
        let asked = Date()
        let answer = Answer()
        let failure: GitError? = await withCheckedContinuation { continuation in
            answer.set(continuation)
            queue.async { [self] in answer.give(fetch(askedAt: asked)) }
            // On a dispatch timer, not a task: a task's sleep waits for a free cooperative
            // thread, which busy cycles can hold for minutes. A timer whose answer came
            // first does nothing when it fires (at most timeout/interval of them wait).
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [self] in
                answer.give(GitError(call: "fetch", code: -1, message: "fetching \(CycleRunner.redact(repository)) has not finished after \(Int(timeout))s; the remote stopped answering (watch's /healthz fails until the fetch ends)"))
            }
        }
        if let failure { throw failure }
    }

    /// On the mirror's queue: a fetch that started after `askedAt`, or a new one.
    private func fetch(askedAt: Date) -> GitError? {
        if let done = state.withLock({ $0.last }), done.started >= askedAt { return done.failure }
        let started = Date()
        state.withLock { $0.running = started }
        var failure: GitError?
        do throws(GitError) { _ = try Mirror.sync(url: repository, into: directory, token: token) } catch { failure = error }
        state.withLock { $0 = ((started, failure), nil, $0.fetches + 1) }
        return failure
    }
}

/// The first answer to a waiting cycle: the fetch's outcome or its timeout.
private final class Answer: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<GitError?, Never>?, given: Bool)>((nil, false))

    func set(_ continuation: CheckedContinuation<GitError?, Never>) {
        state.withLock { $0.continuation = continuation }
    }

    func give(_ failure: GitError?) {
        let waiting: CheckedContinuation<GitError?, Never>? = state.withLock { state in
            guard !state.given else { return nil }
            state.given = true
            defer { state.continuation = nil }
            return state.continuation
        }
        waiting?.resume(returning: failure)
    }
}

/// At most `permits` cycles at once in one process, first come first served. A cycle
/// parses and plans on the thread that runs it: with one fewer than the cores, a
/// thread stays free for the HTTP server however many environments are due together.
public actor CycleGate {
    public let permits: Int
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init(permits: Int) { self.permits = max(1, permits) }

    /// The bound for this machine: one cycle per core but one, and at least one.
    public static var forThisMachine: CycleGate { CycleGate(permits: ProcessInfo.processInfo.activeProcessorCount - 1) }

    public func enter() async {
        if running < permits {
            running += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    public func leave() {
        if waiting.isEmpty {
            running -= 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}
