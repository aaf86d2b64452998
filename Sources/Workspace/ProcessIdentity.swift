import Engine
import Foundation
import Model
import SQLiteState

/// This process as a lock holder, and whether a recorded holder still runs.
public enum ProcessIdentity {
    public static var host: String { ProcessInfo.processInfo.hostName }

    /// Whether a lock's holder runs (`.dead` only when provably gone: same host and
    /// PID namespace, and the pid is free or belongs to a process started at another time).
    public typealias Liveness = LockLiveness

    /// The store's answer where it has one (a PostgreSQL advisory lock lives and dies
    /// with its holder's session), else the process's; a store that cannot tell is unknown.
    public static func liveness(_ lock: LockInfo, environment: String, store: any StateStore) async -> Liveness {
        do throws(TargetError) {
            if let known = try await store.liveness(of: lock, environment: environment) { return known }
        } catch {
            return .unknown("and the state store could not tell whether it still runs (\(error.message))")
        }
        return liveness(lock)
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
