import CSQLite
import Foundation

/// A small, throwing wrapper over SQLite's C API: one connection, prepared statements with
/// positional parameters, rows as dictionaries of `SQLiteValue`. Errors name the database file.
///
/// The run index needs a handful of statements; a full ORM (GRDB.swift) would add minutes of
/// compile time to every build for no gain here, so cfcam talks to the system's libsqlite3
/// (Debian `libsqlite3-dev`) directly.
final class SQLiteDatabase {
    let path: String
    private var db: OpaquePointer?

    init(path: String) throws {
        self.path = path
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nil)
        guard rc == SQLITE_OK else {
            let msg = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            db = nil
            throw RunsError("\(path): cannot open the run index: \(msg)")
        }
        sqlite3_busy_timeout(db, 10_000)
    }

    deinit { sqlite3_close(db) }

    private func error(_ what: String) -> RunsError {
        RunsError("\(path): \(what): \(String(cString: sqlite3_errmsg(db)))")
    }

    func execute(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(db, sql, nil, nil, &err) == SQLITE_OK else {
            let msg = err.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(err)
            throw RunsError("\(path): \(msg) (in: \(sql.prefix(80)))")
        }
    }

    /// Runs `sql` with `parameters` bound in order; returns every row.
    @discardableResult
    func query(_ sql: String, _ parameters: [SQLiteValue] = []) throws -> [[String: SQLiteValue]] {
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK else { throw error("cannot prepare '\(sql.prefix(80))'") }
        defer { sqlite3_finalize(stmt) }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        for (i, p) in parameters.enumerated() {
            let at = Int32(i + 1)
            switch p {
            case .null: sqlite3_bind_null(stmt, at)
            case .integer(let v): sqlite3_bind_int64(stmt, at, v)
            case .real(let v): sqlite3_bind_double(stmt, at, v)
            case .text(let v): sqlite3_bind_text(stmt, at, v, -1, transient)
            }
        }
        var rows: [[String: SQLiteValue]] = []
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw error("cannot run '\(sql.prefix(80))'") }
            var row: [String: SQLiteValue] = [:]
            for c in 0..<sqlite3_column_count(stmt) {
                let name = String(cString: sqlite3_column_name(stmt, c))
                switch sqlite3_column_type(stmt, c) {
                case SQLITE_INTEGER: row[name] = .integer(sqlite3_column_int64(stmt, c))
                case SQLITE_FLOAT: row[name] = .real(sqlite3_column_double(stmt, c))
                case SQLITE_TEXT: row[name] = .text(String(cString: sqlite3_column_text(stmt, c)))
                default: row[name] = .null
                }
            }
            rows.append(row)
        }
        return rows
    }

    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let r = try body()
            try execute("COMMIT")
            return r
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }
}

/// One SQLite value.
enum SQLiteValue: Equatable {
    case null, integer(Int64), real(Double), text(String)

    init(_ s: String?) { self = s.map { .text($0) } ?? .null }
    init(_ d: Double?) { self = d.map { .real($0) } ?? .null }
    init(_ i: Int?) { self = i.map { .integer(Int64($0)) } ?? .null }

    var string: String? { if case .text(let s) = self { return s }; return nil }
    var double: Double? {
        switch self { case .real(let d): return d; case .integer(let i): return Double(i); default: return nil }
    }
    var int: Int? { if case .integer(let i) = self { return Int(i) }; return nil }
}
