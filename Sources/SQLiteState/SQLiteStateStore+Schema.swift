import SQLite

/// The store's tables, and how stores made by earlier versions are brought up to them.
extension SQLiteStateStore {
    static let schema = """
    CREATE TABLE IF NOT EXISTS applies (
        id INTEGER PRIMARY KEY AUTOINCREMENT, environment TEXT NOT NULL, revision TEXT NOT NULL, plan_digest TEXT NOT NULL,
        actor TEXT NOT NULL, kind TEXT NOT NULL, started_at REAL NOT NULL, finished_at REAL, outcome TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS applies_by_environment ON applies (environment, id);
    CREATE TABLE IF NOT EXISTS apply_changes (
        apply_id INTEGER NOT NULL, position INTEGER NOT NULL, resource TEXT NOT NULL, action TEXT NOT NULL,
        status TEXT NOT NULL, error TEXT, resolved INTEGER NOT NULL DEFAULT 0, table_version INTEGER, PRIMARY KEY (apply_id, position));
    CREATE TABLE IF NOT EXISTS inventory (
        environment TEXT NOT NULL, resource TEXT NOT NULL, protected INTEGER NOT NULL DEFAULT 0, principals TEXT,
        PRIMARY KEY (environment, resource));
    CREATE TABLE IF NOT EXISTS locks (
        environment TEXT PRIMARY KEY, owner TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL,
        process_start TEXT NOT NULL, since REAL NOT NULL, command TEXT NOT NULL, pid_namespace TEXT NOT NULL DEFAULT '');
    CREATE TABLE IF NOT EXISTS audit (sequence INTEGER PRIMARY KEY, entry TEXT NOT NULL, hash TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS holds (
        environment TEXT PRIMARY KEY, reason TEXT NOT NULL, revision TEXT NOT NULL, actor TEXT NOT NULL, since REAL NOT NULL, followed TEXT);
    CREATE TABLE IF NOT EXISTS environment_owners (environment TEXT PRIMARY KEY, project TEXT NOT NULL, claimed_at REAL NOT NULL);
    """

    /// The tables, and the columns later versions added to stores made before them.
    static func migrate(_ database: Database) throws(SQLiteError) {
        try database.execute(Self.schema)
        // Stores made before locks recorded the holder's PID namespace.
        let lockColumns = try database.query("PRAGMA table_info(locks)").compactMap { $0[1].string }
        if !lockColumns.contains("pid_namespace") {
            try database.execute("ALTER TABLE locks ADD COLUMN pid_namespace TEXT NOT NULL DEFAULT ''")
        }
        let changeColumns = try database.query("PRAGMA table_info(apply_changes)").compactMap { $0[1].string }
        if !changeColumns.contains("resolved") {
            try database.execute("ALTER TABLE apply_changes ADD COLUMN resolved INTEGER NOT NULL DEFAULT 0")
        }
        // Stores made before applies recorded the table versions they produced.
        if !changeColumns.contains("table_version") {
            try database.execute("ALTER TABLE apply_changes ADD COLUMN table_version INTEGER")
        }
        let holdColumns = try database.query("PRAGMA table_info(holds)").compactMap { $0[1].string }
        if !holdColumns.contains("followed") {
            try database.execute("ALTER TABLE holds ADD COLUMN followed TEXT")
        }
    }
}
