import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One input file of a run and its key: the name its outputs and index rows go under.
public struct InputFile: Sendable, Equatable {
    /// The path as found (folder argument + relative path, or a glob match).
    public let path: String
    /// Unique within the run: the path relative to its folder argument (`cats/a.jpg`), or the file
    /// name for a file or glob argument. The same image found through two arguments is listed once.
    public let key: String
}

/// The inputs of `explain MODEL DIR_OR_GLOB...`: folders (searched recursively, hidden entries
/// skipped), glob patterns (`*`, `?`, `[...]`, expanded by the C library's glob(3), so quoted
/// patterns work the same as shell-expanded ones) and plain files, filtered by extension
/// (case-insensitive) and sorted by key so every machine sees the same order.
public enum InputSet {
    public struct Expansion: Sendable {
        public var files: [InputFile]
        /// Arguments that matched nothing or could not be read, and duplicate keys, with why.
        public var failures: [(argument: String, reason: String)]
    }

    public static func isPattern(_ s: String) -> Bool { s.contains { "*?[".contains($0) } }

    public static func expand(_ arguments: [String], extensions: Set<String>) -> Expansion {
        var files: [InputFile] = [], failures: [(String, String)] = []
        var byKey: [String: String] = [:]
        func wanted(_ p: String) -> Bool { extensions.contains((p as NSString).pathExtension.lowercased()) }
        func add(_ path: String, key: String, argument: String) {
            let real = URL(fileURLWithPath: path).standardizedFileURL.path
            if let other = byKey[key] {
                if other != real { failures.append((path, "has the same key '\(key)' as \(other); rename one or pass their folder")) }
                return
            }
            byKey[key] = real
            files.append(InputFile(path: path, key: key))
        }
        let fm = FileManager.default
        for arg in arguments {
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: arg, isDirectory: &isDir) {
                if isDir.boolValue {
                    guard let walker = fm.enumerator(at: URL(fileURLWithPath: arg), includingPropertiesForKeys: [.isRegularFileKey],
                                                     options: [.skipsHiddenFiles], errorHandler: { url, error in
                                                         failures.append((url.path, "cannot be read: \(error.localizedDescription)")); return true
                                                     }) else {
                        failures.append((arg, "the folder cannot be read")); continue
                    }
                    let root = URL(fileURLWithPath: arg).standardizedFileURL.resolvingSymlinksInPath().path
                    var found: [(String, String)] = []
                    for case let url as URL in walker {
                        guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true, wanted(url.path) else { continue }
                        let full = url.standardizedFileURL.resolvingSymlinksInPath().path
                        let rel = full.hasPrefix(root + "/") ? String(full.dropFirst(root.count + 1)) : url.lastPathComponent
                        found.append(((arg as NSString).appendingPathComponent(rel), rel))
                    }
                    if found.isEmpty { failures.append((arg, "the folder holds no \(extensions.sorted().joined(separator: ", ")) files")) }
                    for (p, k) in found { add(p, key: k, argument: arg) }
                } else {
                    add(arg, key: (arg as NSString).lastPathComponent, argument: arg)
                }
            } else if isPattern(arg) {
                let matches = glob(arg).filter(wanted)
                if matches.isEmpty { failures.append((arg, "the pattern matches no \(extensions.sorted().joined(separator: ", ")) files")) }
                for m in matches { add(m, key: (m as NSString).lastPathComponent, argument: arg) }
            } else {
                failures.append((arg, "no such file or folder"))
            }
        }
        files.sort { $0.key < $1.key }
        return Expansion(files: files, failures: failures)
    }

    static func glob(_ pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard Glibc.glob(pattern, 0, nil, &g) == 0 else { return [] }
        var out: [String] = []
        for i in 0..<Int(g.gl_pathc) {
            if let p = g.gl_pathv[i] {
                let s = String(cString: p)
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: s, isDirectory: &isDir), !isDir.boolValue { out.append(s) }
            }
        }
        return out
    }
}
