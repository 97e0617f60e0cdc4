import Foundation
import XCTest

/// Runs the built `cfcam` executable as a subprocess (end-to-end: argument parsing, loading,
/// running, writing, exit status and messages).
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
    /// stdout and stderr, for failure messages.
    var transcript: String { "exit \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
}

enum CLI {
    /// The package root, derived from this file's location (Tests/CLITests/CLIRunner.swift).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `<package>/.build/debug/cfcam`; the test target does not depend on the executable.
    static var executable: URL { packageRoot.appendingPathComponent(".build/debug/cfcam") }

    /// Fails the test (and throws to stop it) when the executable has not been built.
    static func requireExecutable(file: StaticString = #filePath, line: UInt = #line) throws {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            XCTFail("\(executable.path) is missing: run `swift build` (or scripts/test.sh) first", file: file, line: line)
            throw MissingExecutable(path: executable.path)
        }
    }

    /// Runs `cfcam args...` from the package root; `environment` entries are added to (or, with a
    /// nil value, removed from) the inherited environment. stdout / stderr go through temporary
    /// files so large outputs cannot block the child.
    static func run(_ args: [String], environment: [String: String?] = [:],
                    file: StaticString = #filePath, line: UInt = #line) throws -> CLIResult {
        try requireExecutable(file: file, line: line)
        let tmp = try TempDir()
        let outURL = tmp.url.appendingPathComponent("stdout"), errURL = tmp.url.appendingPathComponent("stderr")
        guard FileManager.default.createFile(atPath: outURL.path, contents: nil),
              FileManager.default.createFile(atPath: errURL.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown)
        }
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        let p = Process()
        p.executableURL = executable
        p.arguments = args
        p.currentDirectoryURL = packageRoot
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        p.standardOutput = out
        p.standardError = err
        try p.run()
        p.waitUntilExit()
        try out.close(); try err.close()
        return CLIResult(status: p.terminationStatus,
                         stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }
}

/// A fresh temporary folder, removed when the value is released.
final class TempDir {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("cfcam-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    /// Files in the folder (to check that a failed run left nothing behind, temporaries included).
    func contents() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted() }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Thrown (after recording a failure) when `.build/debug/cfcam` does not exist.
struct MissingExecutable: Error, CustomStringConvertible {
    var path: String
    var description: String { "\(path) is missing: run `swift build` first" }
}
