import Logging
import PostgresNIO

/// The store's tables, as numbered migrations. Each runs once, in a transaction that
/// holds a transaction-level advisory lock, so replicas starting together migrate
/// once; a database migrated by a newer reconcile is refused, never written in an
/// older shape. Append new migrations; never edit a released one.
enum PostgresSchema {
    static let migrations: [[PostgresQuery]] = [
        // 1: the records of the SQLite store, with its later columns.
        [
            """
            CREATE TABLE applies (
                id BIGSERIAL PRIMARY KEY, environment TEXT NOT NULL, revision TEXT NOT NULL, plan_digest TEXT NOT NULL,
                actor TEXT NOT NULL, kind TEXT NOT NULL, started_at DOUBLE PRECISION NOT NULL, finished_at DOUBLE PRECISION,
                outcome TEXT NOT NULL)
            """,
            "CREATE INDEX applies_by_environment ON applies (environment, id)",
            """
            CREATE TABLE apply_changes (
                apply_id BIGINT NOT NULL REFERENCES applies (id), position BIGINT NOT NULL, resource TEXT NOT NULL,
                action TEXT NOT NULL, status TEXT NOT NULL, error TEXT, resolved BOOLEAN NOT NULL DEFAULT FALSE,
                table_version BIGINT, PRIMARY KEY (apply_id, position))
            """,
            """
            CREATE TABLE inventory (
                environment TEXT NOT NULL, resource TEXT NOT NULL, protected BOOLEAN NOT NULL DEFAULT FALSE, principals TEXT,
                PRIMARY KEY (environment, resource))
            """,
            """
            CREATE TABLE locks (
                environment TEXT PRIMARY KEY, owner TEXT NOT NULL, pid BIGINT NOT NULL, host TEXT NOT NULL,
                process_start TEXT NOT NULL, since DOUBLE PRECISION NOT NULL, command TEXT NOT NULL, pid_namespace TEXT NOT NULL DEFAULT '')
            """,
            "CREATE TABLE audit (sequence BIGINT PRIMARY KEY, entry TEXT NOT NULL, hash TEXT NOT NULL)",
            """
            CREATE TABLE holds (
                environment TEXT PRIMARY KEY, reason TEXT NOT NULL, revision TEXT NOT NULL, actor TEXT NOT NULL,
                since DOUBLE PRECISION NOT NULL, followed TEXT)
            """,
        ],
        // 2: which project each environment belongs to (projects share a database).
        [
            "CREATE TABLE environment_owners (environment TEXT PRIMARY KEY, project TEXT NOT NULL, claimed_at DOUBLE PRECISION NOT NULL)",
        ],
    ]

    /// The key of the transaction lock migrations take (any fixed number of reconcile's).
    static let migrationLock: Int64 = 0x7265_636F_6E63_696C

    struct TooNew: Error, CustomStringConvertible {
        var found: Int
        var known: Int
        var description: String {
            "the database was migrated by a newer reconcile (schema version \(found); this one knows \(known)); run that version or a newer one"
        }
    }

    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(migrationLock))", logger: logger)
            try await connection.query("CREATE TABLE IF NOT EXISTS reconcile_schema (version BIGINT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())", logger: logger)
            var current = 0
            for try await version in try await connection.query("SELECT coalesce(max(version), 0) FROM reconcile_schema", logger: logger).decode(Int.self) {
                current = version
            }
            guard current <= migrations.count else { throw TooNew(found: current, known: migrations.count) }
            for (index, statements) in migrations.enumerated() where index + 1 > current {
                for statement in statements { try await connection.query(statement, logger: logger) }
                try await connection.query("INSERT INTO reconcile_schema (version) VALUES (\(index + 1))", logger: logger)
            }
        }
    }
}
