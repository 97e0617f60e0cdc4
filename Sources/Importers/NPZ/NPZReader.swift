#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZip
import Graph

/// Reading and writing NumPy `.npz` archives (zip files of `.npy` members), through libzip.
///
/// Keys are member names without the `.npy` suffix; folders in member names are kept as-is
/// (`"layer1/0.weight.npy"` becomes `"layer1/0.weight"`). Stored and deflated members are read.
public enum NPZ {
    /// Reads every array of the `.npz` file at `path`.
    public static func read(path: String) throws -> [String: Tensor] {
        // libzip takes an empty file for an empty archive; NumPy (and we) refuse it.
        var info = stat()
        if stat(path, &info) == 0, info.st_size == 0 { throw NPZError(file: path, "empty file (not a zip archive)") }
        var code: Int32 = 0
        guard let za = zip_open(path, ZIP_RDONLY, &code) else {
            throw NPZError(file: path, "cannot open as a zip archive: \(zipErrorText(code))")
        }
        defer { zip_discard(za) }
        return try readArchive(za, name: path)
    }

    /// Reads every array of an `.npz` image held in memory; `name` appears in error messages.
    public static func read(data: [UInt8], name: String) throws -> [String: Tensor] {
        guard !data.isEmpty else { throw NPZError(file: name, "empty file (not a zip archive)") }
        return try data.withUnsafeBytes { buf in
            var err = zip_error_t()
            zip_error_init(&err)
            defer { zip_error_fini(&err) }
            guard let src = zip_source_buffer_create(buf.baseAddress, UInt64(buf.count), 0, &err) else {
                throw NPZError(file: name, "cannot read buffer: \(String(cString: zip_error_strerror(&err)))")
            }
            guard let za = zip_open_from_source(src, ZIP_RDONLY, &err) else {
                zip_source_free(src)
                throw NPZError(file: name, "cannot open as a zip archive: \(String(cString: zip_error_strerror(&err)))")
            }
            defer { zip_discard(za) } // also frees the source
            return try readArchive(za, name: name)
        }
    }

    /// The array key for a member name: the name without a trailing ".npy".
    static func key(forMember member: String) -> String {
        member.hasSuffix(".npy") ? String(member.dropLast(4)) : member
    }

    private static func readArchive(_ za: OpaquePointer, name: String) throws -> [String: Tensor] {
        let n = zip_get_num_entries(za, 0)
        guard n >= 0 else { throw NPZError(file: name, "cannot list archive members: \(String(cString: zip_strerror(za)))") }
        var out: [String: Tensor] = [:]
        var memberOfKey: [String: String] = [:]
        for index in 0..<UInt64(n) {
            guard let cName = zip_get_name(za, index, ZIP_FL_ENC_GUESS) else {
                throw NPZError(file: name, "member #\(index) has no readable name: \(String(cString: zip_strerror(za)))")
            }
            let member = String(cString: cName)
            if member.hasSuffix("/") { continue } // folder entry
            let key = key(forMember: member)
            if let other = memberOfKey[key] {
                throw NPZError(file: name, member: member, "key '\(key)' is also given by member '\(other)'")
            }
            memberOfKey[key] = member
            let bytes = try readMember(za, index: index, file: name, member: member)
            out[key] = try bytes.withUnsafeBufferPointer { try NPY.read(buffer: $0, name: name, member: member) }
        }
        return out
    }

    /// Decompresses one member, growing the buffer as data arrives (a size claimed by the zip
    /// directory is never trusted for allocation).
    private static func readMember(_ za: OpaquePointer, index: UInt64, file: String, member: String) throws -> [UInt8] {
        var st = zip_stat_t()
        zip_stat_init(&st)
        guard zip_stat_index(za, index, 0, &st) == 0 else {
            throw NPZError(file: file, member: member, "cannot stat: \(String(cString: zip_strerror(za)))")
        }
        guard let zf = zip_fopen_index(za, index, 0) else {
            throw NPZError(file: file, member: member, "cannot open: \(String(cString: zip_strerror(za)))")
        }
        defer { zip_fclose(zf) }
        let claimed = st.valid & UInt64(ZIP_STAT_SIZE) != 0 ? st.size : 0
        var out: [UInt8] = []
        out.reserveCapacity(Int(min(claimed, 64 << 20)))
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let got = chunk.withUnsafeMutableBytes { buf -> Int64 in
                guard let base = buf.baseAddress else { return -1 }
                return zip_fread(zf, base, UInt64(buf.count))
            }
            if got < 0 {
                throw NPZError(file: file, member: member, "cannot decompress: \(String(cString: zip_file_strerror(zf)))")
            }
            if got == 0 { break }
            out.append(contentsOf: chunk[0..<Int(got)])
        }
        return out
    }
}

/// libzip's text for an error code.
func zipErrorText(_ code: Int32) -> String {
    var err = zip_error_t()
    zip_error_init_with_code(&err, code)
    defer { zip_error_fini(&err) }
    return String(cString: zip_error_strerror(&err))
}
