import Foundation
import TestSupport
import XCTest

/// `explain MODEL FOLDER --out-dir OUT`: every image, failures listed, the SQLite index, resume,
/// shards, `merge` and `report`.
final class CLIFolderTests: XCTestCase {
    let model = CLI.packageRoot.appendingPathComponent("models/efficientnet-lite0/efficientnet_lite0.onnx").path

    /// A folder of three photos (one in a subfolder), a truncated JPEG and a text file.
    func photoFolder() throws -> TempDir {
        let d = try TempDir()
        let fm = FileManager.default
        try fm.createDirectory(atPath: d.path("in/more"), withIntermediateDirectories: true)
        try fm.copyItem(atPath: fixturesURL("photos/chelsea.png").path, toPath: d.path("in/chelsea.png"))
        try fm.copyItem(atPath: fixturesURL("photos/coffee.png").path, toPath: d.path("in/coffee.png"))
        try fm.copyItem(atPath: fixturesURL("photos/rocket.jpg").path, toPath: d.path("in/more/rocket.jpg"))
        try Data(contentsOf: fixturesURL("photos/rocket.jpg")).prefix(1500).write(to: d.url.appendingPathComponent("in/broken.jpg"))
        try Data("notes".utf8).write(to: d.url.appendingPathComponent("in/notes.txt"))
        return d
    }

    func rows(_ db: String) throws -> [String] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", """
            import sqlite3, sys
            c = sqlite3.connect(sys.argv[1])
            for r in c.execute("select image, method, status, predicted_class, overlay_path from runs order by image, method"):
                print("|".join("" if v is None else str(v) for v in r))
            """, db]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    func testAFolderRunListsFailuresIndexesAndResumes() throws {
        let d = try photoFolder()
        let out = d.path("out")
        let first = try CLI.run(["explain", model, d.path("in"), "--out-dir", out, "--method", "gradcam"])
        XCTAssertNotEqual(first.status, 0, "a bad image makes the run fail, after the others: \(first.transcript)")
        XCTAssertTrue(first.stderr.contains("1 failure"), first.stderr)
        XCTAssertTrue(first.stderr.contains("broken.jpg"), first.stderr)
        XCTAssertTrue(first.stderr.contains("[4/4]"), "plain progress lines off a terminal: \(first.stderr)")
        XCTAssertEqual(try rows(out + "/index.sqlite"), [
            "broken.jpg|gradcam|failed||",
            "chelsea.png|gradcam|done|282|chelsea.png/gradcam.png",
            "coffee.png|gradcam|done|967|coffee.png/gradcam.png",
            "more/rocket.jpg|gradcam|done|657|more/rocket.jpg/gradcam.png",
        ])
        for f in ["chelsea.png/gradcam.png", "chelsea.png/gradcam.npy", "chelsea.png/result.json", "more/rocket.jpg/gradcam.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + f), f)
        }
        // Resume: only the failed image is tried again.
        let again = try CLI.run(["explain", model, d.path("in"), "--out-dir", out, "--method", "gradcam"])
        XCTAssertTrue(again.stderr.contains("3 already done, 1 to explain"), again.stderr)
        // A second method: every image needs it.
        try FileManager.default.removeItem(atPath: d.path("in/broken.jpg"))
        let more = try CLI.run(["explain", model, d.path("in"), "--out-dir", out, "--method", "gradcam,layercam"])
        XCTAssertEqual(more.status, 0, more.transcript)
        XCTAssertTrue(more.stderr.contains("0 already done, 3 to explain"), more.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/coffee.png/panel.png"))
        let forced = try CLI.run(["explain", model, d.path("in"), "--out-dir", out, "--method", "gradcam", "--force"])
        XCTAssertTrue(forced.stderr.contains("0 already done, 3 to explain"), forced.stderr)
        // The report.
        let rep = try CLI.run(["report", out])
        XCTAssertEqual(rep.status, 0, rep.transcript)
        XCTAssertTrue(rep.stdout.contains("4 inputs x 2 methods"), rep.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/report.html"))
    }

    func testShardsSplitTheInputsAndMergeJoinsThem() throws {
        let d = try photoFolder()
        try FileManager.default.removeItem(atPath: d.path("in/broken.jpg"))
        var keys: [[String]] = []
        for i in 0..<2 {
            let r = try CLI.run(["explain", model, d.path("in/*.png"), d.path("in/more"), "--out-dir", d.path("s\(i)"),
                                 "--method", "gradcam", "--shard", "\(i)/2"])
            XCTAssertEqual(r.status, 0, r.transcript)
            keys.append(try rows(d.path("s\(i)/index.sqlite")).map { String($0.split(separator: "|")[0]) })
        }
        XCTAssertEqual(Set(keys[0]).intersection(keys[1]), [])
        XCTAssertEqual((keys[0] + keys[1]).sorted(), ["chelsea.png", "coffee.png", "rocket.jpg"])
        // The same split from a Kubernetes Indexed Job's environment.
        let k = try CLI.run(["explain", model, d.path("in/*.png"), d.path("in/more"), "--out-dir", d.path("k1"), "--method", "gradcam",
                             "--shards", "2"], environment: ["JOB_COMPLETION_INDEX": "1"])
        XCTAssertEqual(k.status, 0, k.transcript)
        XCTAssertEqual(try rows(d.path("k1/index.sqlite")).map { String($0.split(separator: "|")[0]) }, keys[1])
        let m = try CLI.run(["merge", d.path("s0"), d.path("s1"), "--into", d.path("all")])
        XCTAssertEqual(m.status, 0, m.transcript)
        XCTAssertEqual(try rows(d.path("all/index.sqlite")).count, 3)
        let again = try CLI.run(["explain", model, d.path("in/*.png"), d.path("in/more"), "--out-dir", d.path("all"), "--method", "gradcam"])
        XCTAssertTrue(again.stderr.contains("3 already done, 0 to explain"), again.stderr)
    }

    func testFolderErrorsAreClear() throws {
        let d = try TempDir()
        let cases: [([String], String)] = [
            ([d.path("nothing-here"), "--out-dir", d.path("o")], "no such file or folder"),
            ([fixturesURL("photos").path], "--out-dir"),
            ([fixturesURL("photos").path, "--out-dir", "/proc/cfcam-out"], "/proc/cfcam-out"),
            ([fixturesURL("photos").path, "--out-dir", d.path("o"), "--shard", "2/2"], "0-based"),
        ]
        for (args, fragment) in cases {
            let r = try CLI.run(["explain", model] + args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(fragment), "\(args): \(r.stderr)")
        }
    }

    /// docs/batch/cfcam-array.sbatch as Slurm would start task 1 of an `--array=0-1`.
    func testTheSlurmScriptRunsItsShard() throws {
        let d = try TempDir()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [CLI.packageRoot.appendingPathComponent("docs/batch/cfcam-array.sbatch").path]
        var env = ProcessInfo.processInfo.environment
        for (k, v) in ["CFCAM": CLI.executable.path, "MODEL": model, "INPUTS": fixturesURL("photos").path, "OUT": d.path("out"),
                       "METHODS": "gradcam", "SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "0",
                       "SLURM_ARRAY_TASK_COUNT": "2", "SLURM_CPUS_PER_TASK": "2"] { env[k] = v }
        p.environment = env
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        let keys = try rows(d.path("out/shard-1/index.sqlite")).map { String($0.split(separator: "|")[0]) }
        XCTAssertFalse(keys.isEmpty)
        let direct = try CLI.run(["explain", model, fixturesURL("photos").path, "--out-dir", d.path("direct"), "--method", "gradcam", "--shard", "1/2"])
        XCTAssertEqual(direct.status, 0, direct.transcript)
        XCTAssertEqual(keys, try rows(d.path("direct/index.sqlite")).map { String($0.split(separator: "|")[0]) })
    }
}
