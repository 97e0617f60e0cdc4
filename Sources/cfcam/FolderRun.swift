import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Graph
import Importers
import Methods
import Runs

/// `explain MODEL DIR_OR_GLOB... --out-dir OUT`: every image of the inputs (this shard's share),
/// skipping what OUT/index.sqlite records as done, continuing past bad images, batching images of
/// one size through the model. Per image `OUT/<key>/` holds `<method>.npy`, `<method>.png`,
/// `panel.png` (several methods) and `result.json`; the run fails (non-zero exit) when any image
/// or method failed, after listing every failure.
struct FolderRun {
    let explainer: ImageExplainer
    let outDir: String
    let force: Bool
    let shard: String?
    let shards: Int?
    let imageBatch: Int
    /// The resolved shard (`i/n`), recorded in the index; empty when the run is not sharded.
    var shardName = ""

    mutating func run(_ arguments: [String]) throws {
        let shard = try Shard.resolve(flag: self.shard, shards: shards, environment: ProcessInfo.processInfo.environment)
        shardName = shard?.description ?? ""
        let expansion = InputSet.expand(arguments, extensions: Set(ImageFormat.allCases.flatMap(\.extensions) + ["npy"]))
        let files = expansion.files.filter { shard?.contains($0.key) ?? true }
        let index = try RunIndex.open(outDir: outDir)
        let steps = explainer.steps
        let todo = try files.filter { f in try force || !steps.allSatisfy { try index.isDone(image: f.key, method: $0.name) } }
        let skipped = files.count - todo.count
        var failures: [String] = expansion.failures.map { "\($0.argument): \($0.reason)" }
        fputs("cfcam: \(files.count) inputs\(shard.map { " in shard \($0)" } ?? ""), \(skipped) already done, \(todo.count) to explain, \(steps.count) method(s)\n", stderr)
        var progress = ProgressReporter(total: todo.count)

        var start = 0
        while start < todo.count {
            let group = Array(todo[start..<min(todo.count, start + imageBatch)])
            start += group.count
            var loaded: [(InputFile, LoadedInput, DispatchTime)] = []
            for f in group {
                let t0 = DispatchTime.now()
                do {
                    let input = try CLIError.naming(f.path) { try InputLoader.load(f.path, for: explainer.model, spec: explainer.preprocessing) }
                    guard input.tensor.shape[0] == 1 else { throw CLIError("\(f.path): a folder run explains one image per file, got a batch of \(input.tensor.shape[0])") }
                    loaded.append((f, input, t0))
                } catch {
                    failures.append(Self.failure(f.path, error))
                    try recordFailure(index, f, "\(error)", seconds: InputLoader.seconds(t0, DispatchTime.now()))
                    progress.step(f.key, failed: true)
                }
            }
            // Images of one tensor shape go through the model together.
            for sameShape in Dictionary(grouping: loaded, by: { $0.1.tensor.shape }).values.sorted(by: { $0[0].0.key < $1[0].0.key }) {
                let batch: ImageExplainer.BatchResult?
                if sameShape.count > 1, let x = try? Tensor.stack(sameShape.map(\.1.tensor)) {
                    batch = try? explainer.explain(x)
                } else {
                    batch = nil
                }
                for (i, item) in sameShape.enumerated() {
                    let (f, input, t0) = item
                    do {
                        let result = try batch ?? CLIError.naming(f.path) { try explainer.explain(input.tensor) }
                        let row = batch == nil ? 0 : i
                        let paths = paths(for: f)
                        try makeFolder(for: f)
                        let report = try explainer.write(result, row: row, input: input, name: f.path, paths: paths, started: t0)
                        for m in report.methods {
                            if let e = m.error { failures.append("\(f.path): \(m.name): \(e)") }
                            try index.record(record(f, report, m, paths))
                        }
                        progress.step(f.key, failed: report.methods.contains { $0.error != nil })
                    } catch {
                        failures.append(Self.failure(f.path, error))
                        try recordFailure(index, f, "\(error)", seconds: InputLoader.seconds(t0, DispatchTime.now()))
                        progress.step(f.key, failed: true)
                    }
                }
            }
        }
        progress.finish()
        fputs("cfcam: \(progress.done - progress.failed) of \(todo.count) inputs explained into \(outDir) (index \(index.path))\n", stderr)
        if !failures.isEmpty {
            fputs("cfcam: \(failures.count) failure(s):\n" + failures.map { "  \($0)" }.joined(separator: "\n") + "\n", stderr)
            throw CLIError("\(failures.count) input(s) or method(s) failed (listed above; recorded in \(index.path))")
        }
    }

    /// "PATH: message", without repeating the path when the message already names it.
    static func failure(_ path: String, _ error: Error) -> String {
        let text = "\(error)"
        return text.hasPrefix(path) ? text : "\(path): \(text)"
    }

    func folder(for f: InputFile) -> String { outDir + "/" + f.key }

    /// `path` relative to the output folder (what the index records, so a moved or merged folder stays valid).
    func relative(_ path: String?) -> String? {
        guard let p = path else { return nil }
        return p.hasPrefix(outDir + "/") ? String(p.dropFirst(outDir.count + 1)) : p
    }

    func makeFolder(for f: InputFile) throws {
        do {
            try FileManager.default.createDirectory(atPath: folder(for: f), withIntermediateDirectories: true)
        } catch {
            throw CLIError("\(folder(for: f)): cannot create the output folder: \(error.localizedDescription)")
        }
    }

    func paths(for f: InputFile) -> OutputPaths {
        let d = folder(for: f)
        let steps = explainer.steps
        return OutputPaths(raw: steps.map { "\(d)/\($0.name).npy" }, overlay: steps.map { "\(d)/\($0.name).png" },
                           panel: steps.count > 1 ? "\(d)/panel.png" : nil, json: "\(d)/result.json")
    }

    func record(_ f: InputFile, _ r: ExplainReport, _ m: ExplainReport.MethodInfo, _ paths: OutputPaths) -> RunRecord {
        let top = r.predictions.first
        return RunRecord(image: f.key, source: f.path, method: m.name, status: m.error == nil ? .done : .failed, error: m.error,
                         predictedClass: top?.class, predictedLabel: top?.label, predictedScore: top.map { Double($0.probability) },
                         target: r.target.label.map { "\(r.target.description) (\($0))" } ?? r.target.description,
                         targetScore: Double(r.target.score), layer: m.layers.joined(separator: ","),
                         decodeSeconds: r.timings.decode, preprocessSeconds: r.timings.preprocess,
                         methodSeconds: m.seconds, totalSeconds: r.timings.total,
                         rawPath: relative(m.raw), overlayPath: relative(m.overlay), jsonPath: relative(paths.json),
                         shard: shardName, cfcamVersion: CFCAMVersion.string)
    }

    func recordFailure(_ index: RunIndex, _ f: InputFile, _ error: String, seconds: Double) throws {
        for s in explainer.steps {
            try index.record(RunRecord(image: f.key, source: f.path, method: s.name, status: .failed, error: error,
                                       predictedClass: nil, predictedLabel: nil, predictedScore: nil, target: nil, targetScore: nil,
                                       layer: nil, decodeSeconds: nil, preprocessSeconds: nil, methodSeconds: nil, totalSeconds: seconds,
                                       rawPath: nil, overlayPath: nil, jsonPath: nil, shard: shardName, cfcamVersion: CFCAMVersion.string))
        }
    }
}

func isDirectory(_ path: String) -> Bool {
    var d: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &d) && d.boolValue
}
