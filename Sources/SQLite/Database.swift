internal import CSQLite

/// A value in or out of SQLite.
public enum SQLValue: Sendable, Hashable {
    case null
    case int(Int64)
    case real(Double)
    case text(String)

    public var string: String? {
        if case .text(let text) = self { return text }
        return nil
    }

    public var int: Int? {
        if case .int(let value) = self { return Int(value) }
        return nil
    }
}

extension SQLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int) { self = .int(Int64(value)) }
    public init(_ text: String?) { self = text.map(SQLValue.text) ?? .null }
    public init(_ flag: Bool) { self = .int(flag ? 1 : 0) }
}

/// An SQLite error: the call, SQLite's message, and whether the database was locked.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    public var code: Int32
    public var message: String
    /// True when another connection held a lock for longer than the busy timeout.
    public var isBusy: Bool { code & 0xff == SQLITE_BUSY || code & 0xff == SQLITE_LOCKED }
    /// True when the disk (or a quota) is full.
    public var isFull: Bool { code & 0xff == SQLITE_FULL || (code & 0xff == SQLITE_IOERR && message.contains("No space")) }
    public var description: String { message }
}

/// One SQLite connection; owns its handle.
///
/// Not `Sendable`: use it from one isolation domain.
public final class Database {
    private let handle: OpaquePointer
    public let path: String
    /// How long a lock held by another process is waited for.
    private let busyTimeoutMilliseconds: Int32

    /// Opens (creating if needed) the database at `path`. A lock held by another
    /// process is waited for up to `busyTimeoutMilliseconds`, then is an error.
    public init(path: String, busyTimeoutMilliseconds: Int32 = 5000) throws(SQLiteError) {
        var db: OpaquePointer?
        let code = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nil)
        guard code == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let db { sqlite3_close(db) }
            throw SQLiteError(code: code, message: "cannot open \(path): \(message)")
        }
        handle = db
        self.path = path
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
        sqlite3_extended_result_codes(db, 1)
    }

    deinit { sqlite3_close_v2(handle) }

    private func error(_ code: Int32, _ what: String) -> SQLiteError {
        SQLiteError(code: code, message: "\(what): \(String(cString: sqlite3_errmsg(handle)))")
    }

    /// Turns on write-ahead logging. Doing so needs the file to itself for a moment,
    /// and when other processes open the same new database at that instant SQLite
    /// answers "locked" at once, without its busy wait (three applies sharing a new
    /// state store: one failed now and then). So a busy answer is tried again until
    /// the busy timeout, then is the error.
    public func useWriteAheadLog() throws(SQLiteError) {
        let deadline = ContinuousClock.now + .milliseconds(busyTimeoutMilliseconds)
        while true {
            do throws(SQLiteError) {
                try execute("PRAGMA journal_mode=WAL")
                return
            } catch {
                guard error.isBusy, ContinuousClock.now < deadline else { throw error }
                sqlite3_sleep(5)
            }
        }
    }

    /// Runs one or more statements without parameters.
    public func execute(_ sql: String) throws(SQLiteError) {
        let code = sqlite3_exec(handle, sql, nil, nil, nil)
        guard code == SQLITE_OK else { throw error(code, "executing \(sql.prefix(60))") }
    }

    /// Runs one statement and returns every row.
    @discardableResult
    public func query(_ sql: String, _ parameters: [SQLValue] = []) throws(SQLiteError) -> [[SQLValue]] {
        var statement: OpaquePointer?
        var code = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard code == SQLITE_OK, let statement else { throw error(code, "preparing \(sql.prefix(60))") }
        defer { sqlite3_finalize(statement) }
        for (offset, value) in parameters.enumerated() {
            let index = Int32(offset + 1)
            switch value {
            case .null: code = sqlite3_bind_null(statement, index)
            case .int(let number): code = sqlite3_bind_int64(statement, index, number)
            case .real(let number): code = sqlite3_bind_double(statement, index, number)
            case .text(let text): code = reconcile_sqlite_bind_text(statement, index, text, -1)
            }
            guard code == SQLITE_OK else { throw error(code, "binding parameter \(index)") }
        }
        var rows: [[SQLValue]] = []
        while true {
            code = sqlite3_step(statement)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else { throw error(code, "running \(sql.prefix(60))") }
            let count = sqlite3_column_count(statement)
            rows.append((0..<count).map { column in
                switch sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER: return .int(sqlite3_column_int64(statement, column))
                case SQLITE_FLOAT: return .real(sqlite3_column_double(statement, column))
                case SQLITE_NULL: return .null
                default: return .text(String(cString: sqlite3_column_text(statement, column)))
                }
            })
        }
        return rows
    }

    /// Runs `body` in a write transaction (taken at once, so lock waits happen
    /// here and not halfway through): committed if it returns, rolled back if it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }
}
