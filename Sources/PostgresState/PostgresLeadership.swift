import Foundation
import Model
import PostgresNIO
import Synchronization

/// Leadership among `watch` replicas of one environment: a session-level advisory
/// lock held on a connection of its own for as long as the process leads. The
/// database ends a dead leader's session and its lock with it, so a standby takes
/// over on its next cycle. A dropped connection loses leadership (the lock went with
/// the session): the next call connects again and competes like any replica.
public final class PostgresLeadership: LeaderElection {
    let url: PostgresURL
    let key: Int64
    private let session = Mutex<PostgresStateStore?>(nil)

    public init(url: PostgresURL, environment: String) {
        self.url = url
        key = PostgresStateStore.lockKey("leader " + environment)
    }

    public func lead() async throws(TargetError) -> Bool {
        let store = session.withLock { current in
            if let current { return current }
            let fresh = PostgresStateStore(url: url)
            current = fresh
            return fresh
        }
        do throws(TargetError) {
            return try await store.holdOrTake(key)
        } catch {
            // The session may be gone, and the lock with it: start over next time.
            session.withLock { if $0 === store { $0 = nil } }
            throw error
        }
    }
}

extension PostgresStateStore {
    /// True if this session holds the advisory lock `key` (taking it if it is free).
    func holdOrTake(_ key: Int64) async throws(TargetError) -> Bool {
        let logger = self.logger
        let high = key >> 32, low = key & 0xFFFF_FFFF
        return try await run("electing a leader in") { connection in
            var held = 0
            for try await count in try await connection.query("""
                SELECT count(*)::BIGINT FROM pg_locks
                WHERE locktype = 'advisory' AND granted AND classid::BIGINT = \(high) AND objid::BIGINT = \(low) AND objsubid = 1
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND pid = pg_backend_pid()
                """, logger: logger).decode(Int.self) { held = count }
            if held > 0 { return true }
            var taken = false
            for try await value in try await connection.query("SELECT pg_try_advisory_lock(\(key))", logger: logger).decode(Bool.self) { taken = value }
            return taken
        }
    }
}
