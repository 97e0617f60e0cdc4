import Foundation
import Graph
import Importers
import TestSupport
import XCTest

/// Plugins end to end through the `cfcam` executable: the sample plugin package
/// (Examples/SwishPlugin, built by scripts/test.sh) makes fixtures/custom-op/swish.onnx load, run
/// (logits against PyTorch) and explain (LRP against Zennit), adds a method, a composite, a target
/// syntax and an importer; every way a plugin can be bad is refused before anything runs.
final class CLIPluginTests: XCTestCase {
    static let model = fixturesURL("custom-op/swish.onnx").path
    static let pluginDir = CLI.packageRoot.appendingPathComponent("Examples/SwishPlugin/.build/debug")
    static let buildCommand = "swift build --package-path Examples/SwishPlugin (scripts/test.sh runs it)"

    /// The built sample library `lib<name>.so`; skips (fails under CI=true) when it was not built.
    func plugin(_ name: String = "SwishPlugin") throws -> String {
        let path = Self.pluginDir.appendingPathComponent("lib\(name).so").path
        guard FileManager.default.fileExists(atPath: path) else {
            let message = "\(path) is missing: run `\(Self.buildCommand)`"
            if ProcessInfo.processInfo.environment["CI"] == "true" { XCTFail(message); throw MissingExecutable(path: path) }
            throw XCTSkip(message)
        }
        return path
    }

    /// The reference input (two images) as .npy in `tmp`, and the PyTorch / Zennit references.
    func inputs(_ tmp: TempDir) throws -> (x: String, io: [String: Tensor]) {
        let io = try NPZ.read(path: fixturesURL("custom-op/swish_io.npz").path)
        let x = tmp.path("x.npy")
        try NPY.write(try XCTUnwrap(io["input"]), path: x)
        return (x, io)
    }

    func testCustomOpModelIsRefusedWithoutThePluginAndMatchesPyTorchWithIt() throws {
        let p = try plugin(), tmp = try TempDir()
        let (x, io) = try inputs(tmp)
        let refused = try CLI.run(["run", Self.model, "--input", x, "--output", tmp.path("y.npz")])
        XCTAssertNotEqual(refused.status, 0, refused.transcript)
        XCTAssertTrue(refused.stderr.contains("my.domain::Swish") && refused.stderr.contains("--plugin"), refused.transcript)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.path("y.npz")))

        let ran = try CLI.run(["run", Self.model, "--input", x, "--output", tmp.path("y.npz"), "--plugin", p])
        XCTAssertEqual(ran.status, 0, ran.transcript)
        let logits = try XCTUnwrap(try NPZ.read(path: tmp.path("y.npz"))["logits"])
        assertClose(logits, try XCTUnwrap(io["logits"]), rtol: 1e-5, atol: 1e-6)

        // The same through CFCAM_PLUGINS.
        let env = try CLI.run(["run", Self.model, "--input", x, "--print-top", "1"], environment: ["CFCAM_PLUGINS": p])
        XCTAssertEqual(env.status, 0, env.transcript)
    }

    func testExplainWithThePluginMatchesZennitAndUsesItsMethodCompositeAndTarget() throws {
        let p = try plugin(), tmp = try TempDir()
        let (x, io) = try inputs(tmp)
        let r = try CLI.run(["explain", Self.model, x, "--method", "lrp", "--raw", tmp.path("lrp.npy"), "--plugin", p])
        XCTAssertEqual(r.status, 0, r.transcript)
        // Zennit EpsilonPlus with Swish as Pass (the plugin's LRP role), summed over channels.
        let ref = try XCTUnwrap(io["lrp_input"]).floats(), got = try NPY.read(path: tmp.path("lrp.npy")).floats()
        let hw = 16 * 16
        let summed = (0..<2 * hw).map { i in (0..<3).reduce(Float(0)) { $0 + ref[(i / hw) * 3 * hw + $1 * hw + i % hw] } }
        let scale = summed.map(abs).max() ?? 1
        XCTAssertEqual(got.count, summed.count)
        XCTAssertLessThan(zip(got, summed).map { abs($0 - $1) }.max() ?? 1, 1e-4 * scale)

        // The plugin's composite routes Swish by its gradient: a different map, still finite.
        let g = try CLI.run(["explain", Self.model, x, "--method", "lrp", "--composite", "epsilon-plus-swish-gradient",
                             "--raw", tmp.path("lrpg.npy"), "--plugin", p])
        XCTAssertEqual(g.status, 0, g.transcript)
        let other = try NPY.read(path: tmp.path("lrpg.npy")).floats()
        XCTAssertTrue(other.allSatisfy(\.isFinite))
        XCTAssertGreaterThan(zip(other, got).map { abs($0 - $1) }.max() ?? 0, 1e-3 * scale)

        // The plugin's method and target syntax.
        let m = try CLI.run(["explain", Self.model, x, "--method", "absgradcam", "--layer", "s",
                             "--target", "sum:1+3", "--raw", tmp.path("abs.npy"), "--plugin", p])
        XCTAssertEqual(m.status, 0, m.transcript)
        XCTAssertTrue(m.stdout.contains("absgradcam explained sum of classes 1+3") && m.stdout.contains("layer 's'"), m.transcript)
        let map = try NPY.read(path: tmp.path("abs.npy"))
        XCTAssertEqual(map.shape, [2, 16, 16])
        XCTAssertTrue(try map.floats().allSatisfy { $0 >= 0 && $0 <= 1 })

        // Without the plugin, its method and target are unknown, and the messages list what is known.
        let unknown = try CLI.run(["explain", Self.model, x, "--method", "absgradcam", "--raw", tmp.path("u.npy")])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("absgradcam"), unknown.transcript)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp.path("u.npy")))
    }

    func testToyNetImporterFromThePlugin() throws {
        let p = try plugin(), tmp = try TempDir()
        let model = tmp.path("m.toynet")
        try "input 3 0 0\nseed 5\nconv 6 3\nswish\nconv 6 3\nrelu\ngap\ndense 4\n".write(toFile: model, atomically: true, encoding: .utf8)
        let x = tmp.path("x.npy")
        try NPY.write(Tensor(unchecked: [1, 3, 12, 12], floats: (0..<432).map { Float($0 % 13) / 6 - 1 }), path: x)
        let inspect = try CLI.run(["inspect", model, "--plugin", p])
        XCTAssertEqual(inspect.status, 0, inspect.transcript)
        XCTAssertTrue(inspect.stdout.contains("my.domain::Swish") && inspect.stdout.contains("logits"), inspect.transcript)
        let e = try CLI.run(["explain", model, x, "--method", "gradcam", "--raw", tmp.path("g.npy"), "--plugin", p])
        XCTAssertEqual(e.status, 0, e.transcript)
        XCTAssertEqual(try NPY.read(path: tmp.path("g.npy")).shape, [1, 12, 12])
        let bad = tmp.path("bad.toynet")
        try "input 3 8 8\nconv 4 2\ndense 2\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try CLI.run(["inspect", bad, "--plugin", p])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("bad.toynet:2"), refused.transcript)
        // Without the plugin the file is not a model cfcam reads (the ONNX fallback says so).
        let without = try CLI.run(["inspect", model])
        XCTAssertNotEqual(without.status, 0)
        XCTAssertTrue(without.stderr.contains("m.toynet"), without.transcript)
    }

    func testPluginsCommandListsRegistrationsAndConflicts() throws {
        let p = try plugin(), t = try plugin("TestPlugin")
        let alone = try CLI.run(["plugins"])
        XCTAssertEqual(alone.status, 0, alone.transcript)
        XCTAssertTrue(alone.stdout.contains("builtin:") && alone.stdout.contains("no plugins loaded"), alone.transcript)
        let r = try CLI.run(["plugins", "--plugin", p, "--plugin", t], environment: ["CFCAM_TEST_PLUGIN": "conflict"])
        XCTAssertEqual(r.status, 0, r.transcript)
        for line in ["swish-example (", "op         my.domain::Swish", "method     absgradcam", "importer   toynet",
                     "target     sum-of-classes", "composite  epsilon-plus-swish-gradient",
                     "op my.domain::Swish: registered by swish-example, replaced by test-conflict",
                     "method absgradcam: registered by swish-example, replaced by test-conflict"] {
            XCTAssertTrue(r.stdout.contains(line), "missing '\(line)'\n\(r.transcript)")
        }
    }

    /// Every refusal: a clear message naming the plugin, a non-zero exit, and nothing run or written.
    func testBadPluginsAreRefusedBeforeAnythingRuns() throws {
        let tmp = try TempDir()
        let (x, _) = try inputs(tmp)
        let text = tmp.path("notes.so")
        try "not a library".write(toFile: text, atomically: true, encoding: .utf8)
        var cases: [(String, [String: String?], String)] = [
            (tmp.path("missing.so"), [:], "no such file"),
            (text, [:], "is not a loadable shared library"),
            (tmp.url.path, [:], "is a directory"),
        ]
        if let c = try? CPlugins.build(in: tmp) {
            cases.append((c.noEntry, [:], "has no entry point cfcam_plugin_register"))
            cases.append((c.mismatch, [:], "was built against cfcam 0.1.0 (plugin ABI 999)"))
        } else if ProcessInfo.processInfo.environment["CI"] == "true" {
            XCTFail("cc could not build the C test plugins")
        }
        if let t = try? plugin("TestPlugin") { cases.append((t, ["CFCAM_TEST_PLUGIN": "throw"], "failed while registering: the test plugin refuses")) }
        for (path, env, message) in cases {
            let out = tmp.path("out.npy")
            let r = try CLI.run(["explain", Self.model, x, "--method", "gradcam", "--raw", out, "--plugin", path], environment: env)
            XCTAssertNotEqual(r.status, 0, r.transcript)
            XCTAssertTrue(r.stderr.contains("plugin \(path): \(message)"), "expected '\(message)'\n\(r.transcript)")
            XCTAssertFalse(r.stderr.contains("cfcam: explaining"), "nothing runs after a refused plugin\n\(r.transcript)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out))
            let viaEnv = try CLI.run(["plugins"], environment: env.merging(["CFCAM_PLUGINS": path]) { a, _ in a })
            XCTAssertNotEqual(viaEnv.status, 0, viaEnv.transcript)
        }
        // A bare file name is never searched for on the library path.
        let p = try plugin()
        let bare = try CLI.run(["plugins", "--plugin", "libSwishPlugin.so"], environment: ["LD_LIBRARY_PATH": Self.pluginDir.path])
        XCTAssertNotEqual(bare.status, 0)
        XCTAssertTrue(bare.stderr.contains("no such file"), bare.transcript)
        // The same library twice.
        let twice = try CLI.run(["plugins", "--plugin", p], environment: ["CFCAM_PLUGINS": p])
        XCTAssertNotEqual(twice.status, 0)
        XCTAssertTrue(twice.stderr.contains("given twice"), twice.transcript)
        let noValue = try CLI.run(["plugins", "--plugin"])
        XCTAssertNotEqual(noValue.status, 0)
        XCTAssertTrue(noValue.stderr.contains("--plugin needs"), noValue.transcript)
    }
}

/// C libraries built on the fly with `cc` against the documented header (cfcam_plugin.h): one
/// without the entry point, one that reports another ABI and cfcam version.
enum CPlugins {
    static func build(in tmp: TempDir) throws -> (noEntry: String, mismatch: String) {
        let include = CLI.packageRoot.appendingPathComponent("Sources/CFCAMPluginABI/include").path
        let noEntry = tmp.path("libnoentry.so"), mismatch = tmp.path("libmismatch.so")
        try compile("int something_else(void) { return 1; }\n", to: noEntry, include: include)
        try compile("""
            #include "cfcam_plugin.h"
            int32_t cfcam_plugin_register(cfcam_plugin_handle *h) {
                h->plugin_abi = 999; h->plugin_version = (0 << 16) | (1 << 8) | 0;
                return CFCAM_PLUGIN_ABI_MISMATCH;
            }
            """, to: mismatch, include: include)
        return (noEntry, mismatch)
    }

    static func compile(_ source: String, to output: String, include: String) throws {
        let c = output + ".c"
        try source.write(toFile: c, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["cc", "-shared", "-fPIC", "-I", include, "-o", output, c]
        try p.run(); p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
    }
}
