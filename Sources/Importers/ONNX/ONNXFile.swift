#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Graph

/// Plain-file access for the ONNX importer (no Foundation): whole-file and ranged reads, and the
/// containment check for external tensor data.
enum ONNXFile {
    /// Files larger than this are refused (protobuf itself cannot describe more than 2 GiB per
    /// message; external data files may be larger and are read by range).
    static let maxModelBytes = 1 << 31

    /// Reads a whole file.
    static func readAll(_ path: String, limit: Int = maxModelBytes) throws -> [UInt8] {
        let size = try fileSize(path)
        guard size <= limit else {
            throw GraphError.invalidGraph("file is \(size) bytes, more than the \(limit)-byte limit")
        }
        return try read(path, offset: 0, length: size)
    }

    /// Size in bytes of a regular file.
    static func fileSize(_ path: String) throws -> Int {
        var st = stat()
        guard stat(path, &st) == 0 else { throw GraphError.invalidGraph("cannot open '\(path)': \(errnoText())") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw GraphError.invalidGraph("'\(path)' is not a regular file") }
        return Int(st.st_size)
    }

    /// Reads `length` bytes at `offset`; throws when the file is shorter.
    static func read(_ path: String, offset: Int, length: Int) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw GraphError.invalidGraph("cannot open '\(path)': \(errnoText())") }
        defer { close(fd) }
        var out = [UInt8](repeating: 0, count: length)
        var done = 0
        try out.withUnsafeMutableBytes { buf in
            while done < length {
                let n = pread(fd, buf.baseAddress! + done, length - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw GraphError.invalidGraph("cannot read '\(path)': \(errnoText())")
                }
                if n == 0 {
                    throw GraphError.invalidGraph("'\(path)' ends after \(offset + done) bytes, \(offset + length) needed")
                }
                done += n
            }
        }
        return out
    }

    /// The folder holding `path` ("." when it has none).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }

    /// Resolves `location` (from a tensor's external_data) against `base`, refusing absolute paths
    /// and anything that resolves (through `..` or symlinks) outside `base`.
    static func containedPath(_ location: String, in base: String) throws -> String {
        guard !location.isEmpty else { throw GraphError.invalidGraph("external data location is empty") }
        guard !location.hasPrefix("/") else {
            throw GraphError.invalidGraph("external data location '\(location)' is an absolute path; only paths inside the model's folder are allowed")
        }
        guard !location.utf8.contains(0) else { throw GraphError.invalidGraph("external data location contains a NUL byte") }
        // Lexical check first, so `..` is refused whether or not the target exists.
        var depth = 0
        for part in location.split(separator: "/") where part != "." {
            depth += part == ".." ? -1 : 1
            guard depth >= 0 else {
                throw GraphError.invalidGraph("external data location '\(location)' escapes the model's folder (through '..')")
            }
        }
        guard let realBase = realPath(base) else {
            throw GraphError.invalidGraph("cannot resolve the model's folder '\(base)': \(errnoText())")
        }
        let joined = base + "/" + location
        guard let real = realPath(joined) else {
            throw GraphError.invalidGraph("external data file '\(location)' (in '\(base)') cannot be opened: \(errnoText())")
        }
        let prefix = realBase.hasSuffix("/") ? realBase : realBase + "/"
        guard real.hasPrefix(prefix) else {  // a symlink pointing outside
            throw GraphError.invalidGraph("external data location '\(location)' resolves to '\(real)', outside the model's folder '\(realBase)'")
        }
        return real
    }

    private static func realPath(_ p: String) -> String? {
        guard let r = realpath(p, nil) else { return nil }
        defer { free(r) }
        return String(cString: r)
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
