#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole file into memory, with errors that name the file.
func readFile(_ path: String) throws -> [UInt8] {
    guard let f = fopen(path, "rb") else {
        throw NPZError(file: path, "cannot open: \(String(cString: strerror(errno)))")
    }
    defer { fclose(f) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
        if n > 0 { out.append(contentsOf: chunk[0..<n]) }
        if n < chunk.count {
            if ferror(f) != 0 { throw NPZError(file: path, "read error: \(String(cString: strerror(errno)))") }
            break
        }
    }
    return out
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, then rename.
func writeFileAtomically(_ path: String, _ bytes: [UInt8]) throws {
    let tmp = temporaryPath(for: path)
    guard let f = fopen(tmp, "wb") else {
        throw NPZError(file: path, "cannot create \(tmp): \(String(cString: strerror(errno)))")
    }
    let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
    let flushed = fflush(f) == 0
    let closed = fclose(f) == 0
    guard written == bytes.count, flushed, closed else {
        let msg = String(cString: strerror(errno))
        unlink(tmp)
        throw NPZError(file: path, "write failed: \(msg)")
    }
    try renameReplacing(tmp, path)
}

/// A fresh temporary file name next to `path`.
func temporaryPath(for path: String) -> String {
    "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
}

/// Renames `tmp` over `path`, removing `tmp` on failure.
func renameReplacing(_ tmp: String, _ path: String) throws {
    guard rename(tmp, path) == 0 else {
        let msg = String(cString: strerror(errno))
        unlink(tmp)
        throw NPZError(file: path, "cannot rename temporary file into place: \(msg)")
    }
}
