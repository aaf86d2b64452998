import Foundation
import Model
import Workspace

extension Service {
    /// This process, as it records itself in a lock.
    func lockHolder(command: String) -> LockInfo {
        let pid = getpid()
        return LockInfo(owner: project.actor, pid: pid, host: ProcessIdentity.host, processStart: ProcessIdentity.startTime(pid) ?? "",
                        since: Date(), command: command, pidNamespace: ProcessIdentity.pidNamespace ?? "")
    }

    /// Runs `body` holding the environment's apply lock. A live holder is an error
    /// naming it. A holder that is provably gone (this host and PID namespace, process
    /// ended) left an interrupted apply: the lock is taken over atomically (only if
    /// that same holder still has it), and the apply it left is recorded as
    /// interrupted. A holder whose liveness cannot be proven is never broken here.
    func withLock<T>(_ run: EnvironmentRun, command: String, _ body: () async throws(ReconcileError) -> T) async throws(ReconcileError) -> T {
        let store = try run.store()
        try await run.verifyOwner(store, claim: true)
        let name = run.name
        let mine = lockHolder(command: command)
        let holder: LockInfo?
        do throws(TargetError) { holder = try await store.acquireLock(name, mine) } catch { throw ReconcileError(store: error) }
        if let holder {
            switch await ProcessIdentity.liveness(holder, environment: name, store: store) {
            case .alive:
                throw ReconcileError("environment \(name) is locked: \(holder.description) is running; wait for it to finish", kind: .locked)
            case .unknown(let why):
                throw ReconcileError("environment \(name) is locked by \(holder.description), \(why); if nothing runs there, run reconcile unlock --env \(name) --force", kind: .locked)
            case .dead:
                let other: LockInfo?
                do throws(TargetError) { other = try await store.replaceLock(name, expected: holder, with: mine) } catch { throw ReconcileError(store: error) }
                if let other {
                    throw ReconcileError("environment \(name) is locked: \(other.description) took over the stale lock of pid \(holder.pid) first; wait for it to finish", kind: .locked)
                }
                project.warning("environment \(name) was locked by \(holder.description), which is no longer running; took over its stale lock")
            }
        }
        do throws(TargetError) { try await recoverInterrupted(name, store: store) } catch {
            try? await store.releaseLock(name, pid: mine.pid)
            throw ReconcileError(store: error)
        }
        run.holdsLock = true
        let outcome: Result<T, ReconcileError>
        do throws(ReconcileError) { outcome = .success(try await body()) } catch { outcome = .failure(error) }
        run.holdsLock = false
        try? await store.releaseLock(name, pid: mine.pid)
        return try outcome.get()
    }

    /// Applies still marked running belong to processes that died: report them and
    /// close their records as interrupted, so history holds no half-written entry.
    func recoverInterrupted(_ name: String, store: any StateStore) async throws(TargetError) {
        for record in try await store.runningApplies(name) where record.outcome == .running {
            let done = record.changes.filter { $0.status == .applied }.count
            let current = record.changes.first { $0.status == .started }
            let at = current.map { "; it stopped during \($0.action.rawValue) \($0.resource)" } ?? ""
            project.warning("apply #\(record.id) of \(record.revision.prefix(7)) by \(record.actor), started \(LockInfo.format(record.startedAt)), was interrupted after \(done) of \(record.changes.count) changes\(at); it is recorded as interrupted and this run plans again from what exists")
            try await store.finishApply(record.id, outcome: .interrupted)
        }
    }

    /// Removes a lock whose holder is provably gone (or, with `force`, cannot be
    /// checked from here), recording the apply it left as interrupted.
    public func unlock(_ name: String, force: Bool) async throws(ReconcileError) -> UnlockResult {
        let run = try run(name)
        guard let store = try run.existingStore() else { return .notLocked }
        try await run.verifyOwner(store, claim: false)
        let current: LockInfo?
        do throws(TargetError) { current = try await store.currentLock(name) } catch { throw ReconcileError(store: error) }
        guard let lock = current else { return .notLocked }
        switch await ProcessIdentity.liveness(lock, environment: name, store: store) {
        case .alive:
            throw ReconcileError("\(name) is locked by \(lock.description), which is still running; wait for it", kind: .locked)
        case .unknown(let why) where !force:
            throw ReconcileError("\(name) is locked by \(lock.description), \(why); if nothing runs there, pass --force", kind: .locked)
        case .dead, .unknown:
            let other: LockInfo?
            do throws(TargetError) {
                try await recoverInterrupted(name, store: store)
                other = try await store.replaceLock(name, expected: lock, with: nil)
            } catch {
                throw ReconcileError(store: error)
            }
            if let other {
                throw ReconcileError("\(name) changed hands while unlocking: now locked by \(other.description); run unlock again if that holder is gone too", kind: .locked)
            }
            return .unlocked(lock)
        }
    }
}

public enum UnlockResult: Sendable, Equatable {
    case notLocked
    /// The lock removed (its holder as it was recorded).
    case unlocked(LockInfo)
}
