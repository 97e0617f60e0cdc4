import Foundation

/// The run index of an output folder: `OUT/index.sqlite`, one row per input x method in table
/// `runs` (schema: `RunRecord.columns`; output paths relative to OUT), primary key (image, method).
/// Recording a row replaces the earlier one, so a retried image's latest outcome is what stays.
/// `sqlite3 OUT/index.sqlite 'select * from runs'` or pandas' `read_sql` read it.
///
/// Resume: an (image, method) counts as done when its row says `done` and every output file it
/// names still exists.
public final class RunIndex {
    public static let fileName = "index.sqlite"
    public let outDir: String
    public var path: String { outDir + "/" + Self.fileName }
    let db: SQLiteDatabase

    /// Opens (creating the folder and the table when needed) the index of `outDir`.
    public static func open(outDir: String) throws -> RunIndex {
        do {
            try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
        } catch {
            throw RunsError("\(outDir): cannot create the output folder: \(error.localizedDescription)")
        }
        return try RunIndex(outDir: outDir)
    }

    init(outDir: String) throws {
        self.outDir = outDir
        db = try SQLiteDatabase(path: outDir + "/" + Self.fileName)
        let cols = RunRecord.columns.map { "\($0.name) \($0.type)" }.joined(separator: ", ")
        try db.execute("CREATE TABLE IF NOT EXISTS runs (\(cols), PRIMARY KEY (image, method))")
    }

    public func record(_ r: RunRecord) throws {
        let names = RunRecord.columns.map(\.name)
        let marks = Array(repeating: "?", count: names.count).joined(separator: ", ")
        try db.query("INSERT OR REPLACE INTO runs (\(names.joined(separator: ", "))) VALUES (\(marks))",
                     r.values + [.text(ISO8601DateFormatter().string(from: Date()))])
    }

    public func isDone(image: String, method: String) throws -> Bool {
        let rows = try db.query("SELECT status, raw_path, overlay_path, json_path FROM runs WHERE image = ? AND method = ?",
                                [.text(image), .text(method)])
        guard let r = rows.first, r["status"]?.string == RunRecord.Status.done.rawValue else { return false }
        let fm = FileManager.default
        return ["raw_path", "overlay_path", "json_path"].allSatisfy { k in
            guard let p = r[k]?.string else { return true }
            return fm.fileExists(atPath: outDir + "/" + p)
        }
    }

    public func records() throws -> [RunRecord] {
        try db.query("SELECT * FROM runs ORDER BY image, method").map(RunRecord.init(row:))
    }

    /// Joins shard output folders into `into`: their files are copied (same relative paths; a file
    /// already in `into` is replaced) and their rows inserted. Where two folders hold a row for the
    /// same (image, method), a `done` row wins over a `failed` one, and otherwise the later folder
    /// in the argument order wins. Returns a one-line summary.
    /// Suffix of a file being copied by `merge` (skipped when a folder is merged again).
    static let partialSuffix = ".cfcam-partial"

    public static func merge(shardDirs: [String], into: String) throws -> String {
        let target = try open(outDir: into)
        let fm = FileManager.default
        var copied = 0, rows = 0
        for dir in shardDirs {
            guard fm.fileExists(atPath: dir + "/" + fileName) else {
                throw RunsError("\(dir): not a cfcam output folder (no \(fileName))")
            }
            let source = try RunIndex(outDir: dir)
            guard let walker = fm.enumerator(atPath: dir) else { throw RunsError("\(dir): cannot be read") }
            for case let rel as String in walker {
                let from = dir + "/" + rel, to = into + "/" + rel
                var isDir: ObjCBool = false
                guard fm.fileExists(atPath: from, isDirectory: &isDir), !isDir.boolValue,
                      !rel.hasPrefix(fileName), !rel.hasSuffix(partialSuffix) else { continue }
                // Copied under a temporary name and renamed over the target when complete, so an
                // interrupted merge never leaves a half-copied map or picture under its real name.
                let partial = to + partialSuffix
                do {
                    try fm.createDirectory(atPath: (to as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    if fm.fileExists(atPath: partial) { try fm.removeItem(atPath: partial) }
                    try fm.copyItem(atPath: from, toPath: partial)
                    guard rename(partial, to) == 0 else {
                        throw RunsError(String(cString: strerror(errno)))
                    }
                } catch {
                    try? fm.removeItem(atPath: partial)
                    throw RunsError("\(from): cannot copy to \(to): \((error as? RunsError).map { "\($0)" } ?? error.localizedDescription)")
                }
                copied += 1
            }
            try target.db.transaction {
                for r in try source.records() {
                    let existing = try target.db.query("SELECT status FROM runs WHERE image = ? AND method = ?", [.text(r.image), .text(r.method)])
                    if r.status == .failed, existing.first?["status"]?.string == RunRecord.Status.done.rawValue { continue }
                    try target.record(r)
                    rows += 1
                }
            }
        }
        return "\(copied) files, \(rows) index rows"
    }
}
