import Engine
import Foundation
import Model
import SQLiteState

/// This process as a lock holder, and whether a recorded holder still runs.
public enum ProcessIdentity {
    public static var host: String { ProcessInfo.processInfo.hostName }

    /// The start time the kernel gives a process (field 22 of /proc/PID/stat).
    public static func startTime(_ pid: Int32) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? String(fields[19]) : nil
    }

    /// True, false, or nil when the holder runs on another host and cannot be checked.
    public static func isAlive(_ lock: LockInfo) -> Bool? {
        guard lock.host == host else { return nil }
        guard let start = startTime(lock.pid) else { return false }
        return start == lock.processStart
    }
}

extension Workspace {
    /// Runs `body` holding the environment's apply lock. A live holder is an error
    /// naming it. A holder that is provably gone (this host, process ended) left an
    /// interrupted apply: that is reported, recorded as interrupted, and the lock
    /// taken over. A holder on another host is never broken here.
    public func withLock<T>(_ environment: Environment, store: SQLiteStateStore, command: String,
                     _ body: () throws(CommandFailure) -> T) throws(CommandFailure) -> T {
        let pid = getpid()
        let mine = LockInfo(owner: actor, pid: pid, host: ProcessIdentity.host, processStart: ProcessIdentity.startTime(pid) ?? "",
                            since: Date(), command: command)
        do {
            if let holder = try store.acquireLock(environment.name, mine) {
                switch ProcessIdentity.isAlive(holder) {
                case true?:
                    throw CommandFailure("environment \(environment.name) is locked: \(holder.description) is running; wait for it to finish")
                case nil:
                    throw CommandFailure("environment \(environment.name) is locked by \(holder.description), on another host this one cannot check; if nothing runs there, run reconcile unlock --env \(environment.name)")
                case false?:
                    warn("environment \(environment.name) was locked by \(holder.description), which is no longer running; taking over its stale lock")
                    try recoverInterrupted(environment, store: store)
                    try store.breakLock(environment.name)
                    if let other = try store.acquireLock(environment.name, mine) {
                        throw CommandFailure("environment \(environment.name) was locked again by \(other.description) while taking over; run again")
                    }
                }
            }
            try recoverInterrupted(environment, store: store)
        } catch let error as TargetError {
            throw CommandFailure(error.description)
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure("\(error)")
        }
        defer { try? store.releaseLock(environment.name, pid: pid) }
        return try body()
    }

    /// Applies still marked running belong to processes that died: report them and
    /// close their records as interrupted, so history holds no half-written entry.
    public func recoverInterrupted(_ environment: Environment, store: SQLiteStateStore) throws(TargetError) {
        for record in try store.history(environment.name, limit: 20) where record.outcome == .running {
            let done = record.changes.filter { $0.status == .applied }.count
            let current = record.changes.first { $0.status == .started }
            let at = current.map { "; it stopped during \($0.action.rawValue) \($0.resource)" } ?? ""
            warn("apply #\(record.id) of \(record.revision.prefix(7)) by \(record.actor), started \(LockInfo.format(record.startedAt)), was interrupted after \(done) of \(record.changes.count) changes\(at); it is recorded as interrupted and this run plans again from what exists")
            try store.finishApply(record.id, outcome: .interrupted)
        }
    }
}
