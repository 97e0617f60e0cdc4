import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file writes that never leave a half-written file at `path`.
///
/// The bytes go to a fresh temporary file in the same folder (so the final rename stays on one
/// file system and is atomic), are flushed to disk, and the temporary file is renamed over
/// `path`. On any failure the temporary file is removed and `path` is left as it was.
/// The new file gets mode 0666 less the umask (a replaced file's own mode is not carried over).
public enum AtomicFile {
    /// Writes to a temporary file in the same folder, then renames over `path`; on failure nothing is left behind.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let tmp = temporaryName(for: path)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0o666)
        guard fd >= 0 else { throw FileError(file: path, "cannot create a temporary file next to it: \(errnoText())") }
        var failure: String?
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = posixWrite(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = "write failed: \(errnoText())"; return
                }
                done += n
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = "flush failed: \(errnoText())" }
        if close(fd) != 0, failure == nil { failure = "close failed: \(errnoText())" }
        if failure == nil, rename(tmp, path) != 0 { failure = "cannot move the temporary file into place: \(errnoText())" }
        if let failure {
            unlink(tmp)
            throw FileError(file: path, failure)
        }
    }

    /// `Data` flavour of `write(_:to:)`.
    public static func write(_ data: Data, to path: String) throws {
        try write([UInt8](data), to: path)
    }

    /// Throws a clear error if a file cannot be written at `path` (missing folder, not a folder,
    /// unwritable folder, `path` is a folder) — checked before work starts. A probe file is
    /// created and removed (permission bits alone say nothing for root); nothing is left behind.
    public static func checkWritable(path: String) throws {
        let folder = split(path).folder
        let dir = folder.isEmpty ? "." : folder
        var st = stat()
        guard stat(dir, &st) == 0 else { throw FileError(file: path, "folder '\(dir)' does not exist: \(errnoText())") }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw FileError(file: path, "'\(dir)' is not a folder") }
        if stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFDIR { throw FileError(file: path, "is a folder, not a file") }
        guard access(dir, W_OK | X_OK) == 0 else { throw FileError(file: path, "folder '\(dir)' is not writable: \(errnoText())") }
        let probe = temporaryName(for: path)
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw FileError(file: path, "cannot create files in folder '\(dir)': \(errnoText())") }
        close(fd)
        unlink(probe)
    }

    /// `.<name>.tmp-<pid>-<random>` in the folder of `path` (hidden, and unique per process and call).
    static func temporaryName(for path: String) -> String {
        let (folder, name) = split(path)
        let prefix = folder.isEmpty ? "" : folder == "/" ? "/" : folder + "/"
        return "\(prefix).\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Folder part ("" when none; "/" for files at the root) and file name of `path`.
    static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path) }
        let folder = String(path[..<slash])
        return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
    }
}

func errnoText() -> String { String(cString: strerror(errno)) }

/// POSIX `write(2)` (the name `write` is taken inside AtomicFile).
private func posixWrite(_ fd: Int32, _ buf: UnsafeRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buf, n)
    #else
    return Darwin.write(fd, buf, n)
    #endif
}
