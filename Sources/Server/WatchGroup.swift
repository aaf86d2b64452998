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

    public init(members: [Reconciler], registry: MetricsRegistry) {
        self.members = members.sorted { $0.environment < $1.environment }
        self.registry = registry
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
/// takes the next fetch that starts after it asked: never an older one.
public final class SharedMirror: Sendable {
    public let repository: String
    public let directory: String
    private let token: String?
    private let queue = DispatchQueue(label: "reconcile.mirror")
    /// When the last fetch started, and how it ended.
    private let last = Mutex<(started: Date, failure: GitError?)?>(nil)
    private let fetchCount = Mutex(0)

    public init(repository: String, directory: String, token: String?) {
        self.repository = repository
        self.directory = directory
        self.token = token
    }

    /// How many fetches ran (a test counts them).
    public var fetches: Int { fetchCount.withLock { $0 } }

    /// Brings the mirror up to date with the remote as it is now, or after now.
    public func sync() async throws(GitError) {
        let asked = Date()
        let failure: GitError? = await withCheckedContinuation { continuation in
            queue.async { [self] in
                if let done = last.withLock({ $0 }), done.started >= asked {
                    continuation.resume(returning: done.failure)
                    return
                }
                let started = Date()
                var failure: GitError?
                do throws(GitError) { _ = try Mirror.sync(url: repository, into: directory, token: token) } catch { failure = error }
                fetchCount.withLock { $0 += 1 }
                last.withLock { $0 = (started, failure) }
                continuation.resume(returning: failure)
            }
        }
        if let failure { throw failure }
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
