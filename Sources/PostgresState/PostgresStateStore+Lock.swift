import Foundation
import Model
import Logging
import PostgresNIO

/// The apply lock: `pg_try_advisory_lock` on this store's session, and a row naming
/// the holder. The row alone proves nothing; the advisory lock is the truth.
extension PostgresStateStore {
    /// The advisory lock key of an environment: FNV-1a of its name, in 62 bits (so
    /// pg_locks shows it as classid = key >> 32, objid = key & 0xFFFFFFFF).
    static func lockKey(_ environment: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in ("reconcile lock " + environment).utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int64(hash & 0x3FFF_FFFF_FFFF_FFFF)
    }

    public func acquireLock(_ environment: String, _ lock: LockInfo) async throws(TargetError) -> LockInfo? {
        let logger = self.logger, key = Self.lockKey(environment)
        let taken = try await run("taking the lock in") { connection in
            var taken = false
            for try await value in try await connection.query("SELECT pg_try_advisory_lock(\(key))", logger: logger).decode(Bool.self) { taken = value }
            return taken
        }
        guard taken else {
            // Another session holds it: alive by definition. Its row may not be written yet.
            return try await currentLock(environment)
                ?? LockInfo(owner: "another reconcile", pid: 0, host: "(a database session that has not recorded itself yet)",
                            processStart: "", since: Date(), command: "apply")
        }
        // This session holds the lock now; a row left behind names a holder whose session ended.
        return try await write("taking the lock in") { connection in
            if let existing = try await Self.lockRow(environment, connection, logger) { return existing }
            try await Self.insertLock(environment, lock, connection, logger)
            return nil
        }
    }

    public func replaceLock(_ environment: String, expected: LockInfo, with replacement: LockInfo?) async throws(TargetError) -> LockInfo? {
        let logger = self.logger
        return try await write("taking over the lock in") { connection in
            try await connection.query("SELECT 1 FROM locks WHERE environment = \(environment) FOR UPDATE", logger: logger)
            if let current = try await Self.lockRow(environment, connection, logger), current != expected { return current }
            try await connection.query("DELETE FROM locks WHERE environment = \(environment)", logger: logger)
            if let replacement { try await Self.insertLock(environment, replacement, connection, logger) }
            return nil
        }
    }

    public func releaseLock(_ environment: String, pid: Int32) async throws(TargetError) {
        let logger = self.logger, key = Self.lockKey(environment), holder = Int(pid)
        try await write("releasing the lock in") { connection in
            _ = try await connection.query("DELETE FROM locks WHERE environment = \(environment) AND pid = \(holder)", logger: logger)
        }
        try await run("releasing the lock in") { connection in
            try await connection.query("SELECT pg_advisory_unlock(\(key))", logger: logger)
            return ()
        }
    }

    public func currentLock(_ environment: String) async throws(TargetError) -> LockInfo? {
        let logger = self.logger
        return try await run("reading the lock from") { connection in try await Self.lockRow(environment, connection, logger) }
    }

    public func owner(of environment: String) async throws(TargetError) -> String? {
        let logger = self.logger
        return try await run("reading who owns \(environment) in") { connection in
            var owner: String?
            for try await project in try await connection.query("SELECT project FROM environment_owners WHERE environment = \(environment)", logger: logger).decode(String.self) {
                owner = project
            }
            return owner
        }
    }

    public func claim(_ environment: String, for project: String) async throws(TargetError) -> String {
        let logger = self.logger, now = Date().timeIntervalSince1970
        let owner: String? = try await write("claiming \(environment) in") { connection in
            _ = try await connection.query("""
                INSERT INTO environment_owners (environment, project, claimed_at) VALUES (\(environment), \(project), \(now))
                ON CONFLICT (environment) DO NOTHING
                """, logger: logger)
            var owner: String?
            for try await found in try await connection.query("SELECT project FROM environment_owners WHERE environment = \(environment)", logger: logger).decode(String.self) {
                owner = found
            }
            return owner
        }
        guard let owner else { throw TargetError(nil, "the state store \(location) did not record who owns environment \(environment); run again") }
        return owner
    }

    public func breakLock(_ environment: String) async throws(TargetError) {
        let logger = self.logger
        try await write("breaking the lock in") { connection in
            _ = try await connection.query("DELETE FROM locks WHERE environment = \(environment)", logger: logger)
        }
    }

    /// Alive exactly when another session of this database holds the environment's
    /// advisory lock; the database ends a crashed holder's session, and its lock with it.
    public func liveness(of lock: LockInfo, environment: String) async throws(TargetError) -> LockLiveness? {
        let logger = self.logger, key = Self.lockKey(environment)
        let high = key >> 32, low = key & 0xFFFF_FFFF
        let held = try await run("checking the lock in") { connection in
            var count = 0
            for try await value in try await connection.query("""
                SELECT count(*)::BIGINT FROM pg_locks
                WHERE locktype = 'advisory' AND granted AND classid::BIGINT = \(high) AND objid::BIGINT = \(low) AND objsubid = 1
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND pid <> pg_backend_pid()
                """, logger: logger).decode(Int.self) { count = value }
            return count
        }
        return held > 0 ? .alive : .dead
    }

    static func lockRow(_ environment: String, _ connection: PostgresConnection, _ logger: Logger) async throws -> LockInfo? {
        var found: LockInfo?
        for try await (owner, pid, host, start, since, command, namespace) in try await connection.query(
            "SELECT owner, pid, host, process_start, since, command, pid_namespace FROM locks WHERE environment = \(environment)", logger: logger)
            .decode((String, Int, String, String, Double, String, String).self) {
            found = LockInfo(owner: owner, pid: Int32(clamping: pid), host: host, processStart: start, since: Date(timeIntervalSince1970: since),
                             command: command, pidNamespace: namespace)
        }
        return found
    }

    static func insertLock(_ environment: String, _ lock: LockInfo, _ connection: PostgresConnection, _ logger: Logger) async throws {
        let since = lock.since.timeIntervalSince1970, pid = Int(lock.pid)
        try await connection.query("""
            INSERT INTO locks (environment, owner, pid, host, process_start, since, command, pid_namespace)
            VALUES (\(environment), \(lock.owner), \(pid), \(lock.host), \(lock.processStart), \(since), \(lock.command), \(lock.pidNamespace))
            """, logger: logger)
    }
}
