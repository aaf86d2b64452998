import Engine
import Foundation
import Model
import SQLiteState

/// This process as a lock holder, and whether a recorded holder still runs.
public enum ProcessIdentity {
    public static var host: String { ProcessInfo.processInfo.hostName }

    /// Whether a lock's holder runs: decided only where it can be proven.
    public enum Liveness: Sendable, Equatable {
        case alive
        /// Provably gone: same host and PID namespace, and the pid is free or now
        /// belongs to a process that started at another time.
        case dead
        /// Cannot be proven either way (why, for the message).
        case unknown(String)
    }

    /// The start time the kernel gives a process (field 22 of /proc/PID/stat).
    public static func startTime(_ pid: Int32) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? String(fields[19]) : nil
    }

    /// This process's PID namespace (`pid:[4026531836]`), or nil without /proc.
    public static var pidNamespace: String? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid"), !target.isEmpty else { return nil }
        return target
    }

    public static func liveness(_ lock: LockInfo) -> Liveness {
        guard lock.host == host else { return .unknown("on another host (\(lock.host)), which this one cannot check") }
        guard let mine = pidNamespace, startTime(getpid()) != nil else {
            return .unknown("and this system has no /proc to check whether pid \(lock.pid) still runs")
        }
        guard !lock.pidNamespace.isEmpty, lock.pidNamespace == mine else {
            return .unknown("in another PID namespace (\(lock.pidNamespace.isEmpty ? "not recorded" : lock.pidNamespace); this process is in \(mine)), where pid \(lock.pid) cannot be checked from here")
        }
        guard let start = startTime(lock.pid) else { return .dead }
        return start == lock.processStart ? .alive : .dead
    }
}

extension Workspace {
    /// This process, as it records itself in a lock.
    func lockHolder(command: String) -> LockInfo {
        let pid = getpid()
        return LockInfo(owner: actor, pid: pid, host: ProcessIdentity.host, processStart: ProcessIdentity.startTime(pid) ?? "",
                        since: Date(), command: command, pidNamespace: ProcessIdentity.pidNamespace ?? "")
    }

    /// Runs `body` holding the environment's apply lock. A live holder is an error
    /// naming it. A holder that is provably gone (this host and PID namespace, process
    /// ended) left an interrupted apply: the lock is taken over atomically (only if
    /// that same holder still has it), and the apply it left is recorded as
    /// interrupted. A holder whose liveness cannot be proven is never broken here.
    public func withLock<T>(_ environment: Environment, store: SQLiteStateStore, command: String,
                     _ body: () throws(CommandFailure) -> T) throws(CommandFailure) -> T {
        let mine = lockHolder(command: command)
        do {
            if let holder = try store.acquireLock(environment.name, mine) {
                switch ProcessIdentity.liveness(holder) {
                case .alive:
                    throw CommandFailure("environment \(environment.name) is locked: \(holder.description) is running; wait for it to finish", kind: .locked)
                case .unknown(let why):
                    throw CommandFailure("environment \(environment.name) is locked by \(holder.description), \(why); if nothing runs there, run reconcile unlock --env \(environment.name) --force", kind: .locked)
                case .dead:
                    if let other = try store.replaceLock(environment.name, expected: holder, with: mine) {
                        throw CommandFailure("environment \(environment.name) is locked: \(other.description) took over the stale lock of pid \(holder.pid) first; wait for it to finish", kind: .locked)
                    }
                    warn("environment \(environment.name) was locked by \(holder.description), which is no longer running; took over its stale lock")
                }
            }
            try recoverInterrupted(environment, store: store)
        } catch let error as TargetError {
            try? store.releaseLock(environment.name, pid: mine.pid)
            throw CommandFailure(error.description)
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            try? store.releaseLock(environment.name, pid: mine.pid)
            throw CommandFailure("\(error)")
        }
        lockedEnvironments.insert(environment.name)
        defer {
            lockedEnvironments.remove(environment.name)
            try? store.releaseLock(environment.name, pid: mine.pid)
        }
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
