#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZip
import Graph

extension NPZ {
    /// Member compression for `write`.
    public enum Compression: Sendable { case stored, deflated }

    /// Writes `arrays` to `path` as an `.npz` archive (member `<key>.npy` per array, like
    /// `numpy.savez` / `savez_compressed`). Atomic: the archive is built in a temporary file in the
    /// same folder and renamed into place, so a failure leaves no partial output.
    public static func write(path: String, arrays: [String: Tensor], compression: Compression = .stored) throws {
        for key in arrays.keys where key.isEmpty || key.utf8.contains(0) {
            throw NPZError(file: path, member: key, "array names must be non-empty and contain no NUL byte")
        }
        let tmp = temporaryPath(for: path)
        if arrays.isEmpty {
            // libzip writes no file for an empty archive; NumPy writes the bare end-of-directory record.
            try writeFileAtomically(path, [0x50, 0x4B, 0x05, 0x06] + [UInt8](repeating: 0, count: 18))
            return
        }
        var code: Int32 = 0
        guard let za = zip_open(tmp, ZIP_CREATE | ZIP_TRUNCATE, &code) else {
            throw NPZError(file: path, "cannot create \(tmp): \(zipErrorText(code))")
        }
        do {
            for key in arrays.keys.sorted() {
                guard let t = arrays[key] else { continue }
                try add(za, member: key + ".npy", bytes: NPY.write(t), compression: compression, file: path)
            }
        } catch {
            zip_discard(za)
            unlink(tmp)
            throw error
        }
        guard zip_close(za) == 0 else {
            let msg = String(cString: zip_strerror(za))
            zip_discard(za)
            unlink(tmp)
            throw NPZError(file: path, "cannot write archive: \(msg)")
        }
        try renameReplacing(tmp, path)
    }

    private static func add(_ za: OpaquePointer, member: String, bytes: [UInt8], compression: Compression, file: String) throws {
        // libzip reads the buffer when the archive is closed, so hand it a malloc'd copy it frees itself.
        guard let p = malloc(max(1, bytes.count)) else { throw NPZError(file: file, member: member, "out of memory") }
        bytes.withUnsafeBytes { if let b = $0.baseAddress { p.copyMemory(from: b, byteCount: $0.count) } }
        guard let src = zip_source_buffer(za, p, UInt64(bytes.count), 1) else {
            free(p)
            throw NPZError(file: file, member: member, "cannot add: \(String(cString: zip_strerror(za)))")
        }
        let index = zip_file_add(za, member, src, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8)
        guard index >= 0 else {
            zip_source_free(src)
            throw NPZError(file: file, member: member, "cannot add: \(String(cString: zip_strerror(za)))")
        }
        let method = compression == .deflated ? ZIP_CM_DEFLATE : ZIP_CM_STORE
        guard zip_set_file_compression(za, UInt64(index), Int32(method), 0) == 0 else {
            throw NPZError(file: file, member: member, "cannot set compression: \(String(cString: zip_strerror(za)))")
        }
    }
}
