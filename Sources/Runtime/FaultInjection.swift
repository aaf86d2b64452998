import Foundation
import Synchronization

/// Test-only fault injection: with `RECONCILE_FAULT_KILL_AT=N` in the environment,
/// the process kills itself (SIGKILL, no cleanup) at the Nth durable step it reaches:
/// a file written and flushed, a Delta commit linked, a file renamed into place, a
/// state store or catalog transaction committed, a change applied. Crash tests walk N
/// over every step of an apply. Unset, a step costs one branch.
public enum FaultInjection {
    private static let limit: Int? = ProcessInfo.processInfo.environment["RECONCILE_FAULT_KILL_AT"].flatMap(Int.init)
    private static let count = Mutex(0)

    /// Marks one durable step; `name` is for the log a crash test may print.
    public static func step(_ name: @autoclosure () -> String) {
        guard let limit else { return }
        let reached = count.withLock { count -> Bool in
            count += 1
            return count == limit
        }
        if reached {
            FileHandle.standardError.write(Data("fault injection: killed at step \(limit) (\(name()))\n".utf8))
            kill(getpid(), SIGKILL)
        }
    }

    private static let gate: String? = ProcessInfo.processInfo.environment["RECONCILE_TEST_GATE"]

    /// Test-only: with `RECONCILE_TEST_GATE=<path>`, waits at `name` for a shared lock
    /// on that file, which the test holds exclusively and then lets go: every process
    /// lined up there wakes at the same instant. Unset, it costs one branch.
    public static func gate(_ name: @autoclosure () -> String) {
        guard let gate else { return }
        let fd = open(gate, O_RDONLY)
        guard fd >= 0 else { return }
        flock(fd, LOCK_SH)
        close(fd)
    }
}
