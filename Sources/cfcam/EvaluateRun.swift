import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Graph
import Importers
import Methods
import Runs

/// The loop of `cfcam evaluate`, shaped as `explain --out-dir`'s folder run: this shard's images of
/// the manifest, skipping (image, method) pairs OUT/index.sqlite records as done (and whose score
/// file exists), continuing past bad images. Per image and method it writes
/// `OUT/<file>/<method>.scores.csv`; at the end it gathers every done pair's rows into
/// OUT/scores.csv and writes OUT/summary.md and OUT/summary.csv (docs/metrics.md, "cfcam evaluate").
struct EvaluateRun {
    let model: ExplainModel
    let steps: [ExplainJob.Step]
    let metrics: [MetricEvaluator.Configured]
    let manifest: EvaluationManifest
    let preprocessing: PreprocessSpec
    let target: Target?
    let targetGiven: Bool
    let layers: [LayerSpec]
    let batchSize: Int
    let progress: ProgressHandler?
    let maps: String?
    let saveMaps: Bool
    let randomBaseline: Bool
    let outDir: String
    let force: Bool
    let shard: String?
    let shards: Int?
    let resamples: Int

    /// Method names, in column order: the steps (or "maps"), then "random".
    var methodNames: [String] { (maps == nil ? steps.map(\.name) : ["maps"]) + (randomBaseline ? ["random"] : []) }

    func scoresPath(_ key: String, _ method: String) -> String { "\(outDir)/\(key)/\(method).scores.csv" }

    mutating func run() throws {
        let shard = try Shard.resolve(flag: self.shard, shards: shards, environment: ProcessInfo.processInfo.environment)
        let images = manifest.images.filter { shard?.contains($0.file) ?? true }
        do { try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true) } catch {
            throw CLIError("\(outDir): cannot create the output folder: \(error.localizedDescription)")
        }
        let index = try RunIndex.open(outDir: outDir)
        let names = methodNames
        func done(_ key: String, _ m: String) throws -> Bool {
            try index.isDone(image: key, method: m) && FileManager.default.fileExists(atPath: scoresPath(key, m))
        }
        let todo = try images.filter { im in try force || !names.allSatisfy { try done(im.file, $0) } }
        fputs("cfcam: \(images.count) images\(shard.map { " in shard \($0)" } ?? ""), \(images.count - todo.count) already done, \(todo.count) to evaluate; \(names.count) method(s) x \(metrics.count) metric(s)\n", stderr)
        var failures: [String] = []
        var reporter = ProgressReporter(total: todo.count)
        let evaluator = MetricEvaluator(model: model, metrics: metrics, batchSize: batchSize, progress: progress)
        for im in todo {
            let t0 = DispatchTime.now()
            let path = manifest.path(of: im)
            var failed = false
            do {
                let input = try CLIError.naming(path) { try InputLoader.load(path, for: model, spec: preprocessing) }
                guard input.tensor.shape[0] == 1 else { throw CLIError("\(path): one image per file, got a batch of \(input.tensor.shape[0])") }
                let item = try prepare(im, input)
                try FileManager.default.createDirectory(atPath: "\(outDir)/\(im.file)", withIntermediateDirectories: true)
                for name in names where try force || !done(im.file, name) {
                    let m0 = DispatchTime.now()
                    do {
                        let (map, layers) = try CLIError.naming(path) { try self.map(for: name, im, item) }
                        let m1 = DispatchTime.now()
                        let sample = try CLIError.naming(path) { try item.sample(map: map) }
                        let result = try CLIError.naming(path) { try evaluator.evaluate(sample) }
                        let rows = result.values.compactMap { v in v.value.map { ScoreTable.Row(image: im.file, method: name, metric: v.name, value: $0) } }
                        try AtomicFile.write(Array(ScoreTable.format(rows).utf8), to: scoresPath(im.file, name))
                        if saveMaps {
                            let p = "\(outDir)/\(im.file)/\(name).npy"
                            try AtomicFile.write(NPY.write(Tensor(unchecked: [sample.height, sample.width], floats: sample.saliency)), to: p)
                        }
                        try index.record(record(im, path, name, item, layers: layers, status: .done, error: nil,
                                                explain: InputLoader.seconds(m0, m1), total: InputLoader.seconds(m0, DispatchTime.now()),
                                                input: input))
                    } catch {
                        failed = true
                        failures.append("\(path): \(name): \(error)")
                        try index.record(record(im, path, name, item, layers: [], status: .failed, error: "\(error)", explain: nil,
                                                total: InputLoader.seconds(m0, DispatchTime.now()), input: input))
                    }
                }
            } catch {
                failed = true
                failures.append("\(path): \(error)")
                for name in names {
                    try index.record(RunRecord(image: im.file, source: path, method: name, status: .failed, error: "\(error)",
                                               totalSeconds: InputLoader.seconds(t0, DispatchTime.now()), shard: shard?.description ?? "",
                                               cfcamVersion: CFCAMVersion.string))
                }
            }
            reporter.step(im.file, failed: failed)
        }
        reporter.finish()
        try writeSummaries(index)
        fputs("cfcam: scores in \(outDir)/scores.csv, summary in \(outDir)/summary.md (index \(index.path))\n", stderr)
        if !failures.isEmpty {
            fputs("cfcam: \(failures.count) failure(s):\n" + failures.map { "  \($0)" }.joined(separator: "\n") + "\n", stderr)
            throw CLIError("\(failures.count) image(s) or method(s) failed (listed above; recorded in \(index.path))")
        }
    }

    /// One image ready to explain and score: its input, resolved target, prediction and boxes.
    struct Item {
        let x: Tensor
        let prediction: ExplainJob.Prediction
        let job: ExplainJob
        let resolved: ResolvedTarget
        let predicted: Int?
        let boxes: [MetricBox]
        let label: Int?
        let seed: UInt64

        func sample(map: Tensor) throws -> MetricSample {
            try MetricSample(input: x, map: map, target: resolved, output: job.target.output, explainedClass: label,
                             predictedClass: predicted, boxes: boxes, seed: seed)
        }
    }

    func prepare(_ im: EvaluationManifest.Image, _ input: LoadedInput) throws -> Item {
        let x = input.tensor
        var t = target ?? .top1
        if !targetGiven, let l = im.label { t = .classIndex(l) }
        let job = ExplainJob(target: t, layers: layers, batchSize: batchSize, topK: 1, progress: nil, warn: nil)
        let prediction = try job.predict(x, model: model)
        let out = try model.forward(x, output: t.output)
        let resolved = try t.resolve(outputs: out)[0]
        let predicted: Int? = prediction.top.first?.first?.classIndex
        let h = x.shape[2], w = x.shape[3]
        let boxes = (im.boxes ?? []).map { b -> MetricBox in
            let r = b.xyxy
            guard let g = input.geometry else { return MetricBox(label: b.label, x0: r[0], y0: r[1], x1: r[2], y1: r[3]) }
            // Original pixels -> resized -> crop window -> model input.
            let sx = Double(g.resizedWidth) / Double(g.originalWidth), sy = Double(g.resizedHeight) / Double(g.originalHeight)
            let kx = Double(w) / Double(g.cropWidth), ky = Double(h) / Double(g.cropHeight)
            return MetricBox(label: b.label, x0: (r[0] * sx - Double(g.cropX)) * kx, y0: (r[1] * sy - Double(g.cropY)) * ky,
                             x1: (r[2] * sx - Double(g.cropX)) * kx, y1: (r[3] * sy - Double(g.cropY)) * ky)
        }
        return Item(x: x, prediction: prediction, job: job, resolved: resolved, predicted: predicted, boxes: boxes,
                    label: im.label, seed: MetricSummary.seed(for: im.file))
    }

    /// The map of method `name` for the image, and the layers it read.
    func map(for name: String, _ im: EvaluationManifest.Image, _ item: Item) throws -> (Tensor, [String]) {
        let h = item.x.shape[2], w = item.x.shape[3]
        if name == "random" {
            return (Tensor(unchecked: [h, w], floats: MetricEvaluator.randomMap(height: h, width: w, seed: item.seed)), [])
        }
        if name == "maps", let dir = maps {
            let stem = (im.file as NSString).deletingPathExtension
            let p = "\(dir)/\(stem).npy"
            let t = try CLIError.naming(p) { try NPY.read(path: p) }
            return (try CLIError.naming(p) { try MapFile.plane(t, height: h, width: w) }, [])
        }
        guard let step = steps.first(where: { $0.name == name }) else { throw CLIError("no method \(name)") }
        let r = try item.job.explain(step, input: item.x, prediction: item.prediction, model: model)
        return (r.map, r.layers)
    }

    func record(_ im: EvaluationManifest.Image, _ path: String, _ method: String, _ item: Item, layers: [String], status: RunRecord.Status,
                error: String?, explain: Double?, total: Double, input: LoadedInput) -> RunRecord {
        let t = item.prediction.targets.first
        return RunRecord(image: im.file, source: path, method: method, status: status, error: error,
                         predictedClass: item.predicted, predictedLabel: nil, predictedScore: item.prediction.top.first?.first.map { Double($0.probability) },
                         target: t?.label, targetScore: t.map { Double($0.score) }, layer: layers.joined(separator: ","),
                         decodeSeconds: input.decodeSeconds, preprocessSeconds: input.preprocessSeconds,
                         methodSeconds: explain, totalSeconds: total,
                         rawPath: saveMaps && status == .done ? "\(im.file)/\(method).npy" : nil, overlayPath: nil,
                         jsonPath: status == .done ? "\(im.file)/\(method).scores.csv" : nil,
                         shard: "", cfcamVersion: CFCAMVersion.string)
    }

    /// OUT/scores.csv from every done pair's score file, and the summaries.
    func writeSummaries(_ index: RunIndex) throws {
        let records = try index.records().filter { $0.status == .done }
        var rows: [ScoreTable.Row] = []
        for r in records.sorted(by: { ($0.image, $0.method) < ($1.image, $1.method) }) {
            let p = scoresPath(r.image, r.method)
            guard FileManager.default.fileExists(atPath: p) else { continue }
            rows += try ScoreTable.read(p)
        }
        try AtomicFile.write(Array(ScoreTable.format(rows).utf8), to: outDir + "/scores.csv")
        let present = Set(rows.map(\.method)).union(records.map(\.method))
        let methods = methodNames.filter { present.contains($0) } + present.subtracting(methodNames).sorted()
        let metricNames = metrics.map(\.name) + Set(rows.map(\.metric)).subtracting(metrics.map(\.name)).sorted()
        var scores = rows.map { MetricSummary.Score(image: $0.image, method: $0.method, metric: $0.metric, value: $0.value) }
        var explainSeconds: [String: [Double]] = [:], evalSeconds: [String: [Double]] = [:]
        for r in records {
            if let e = r.methodSeconds, let t = r.totalSeconds {
                explainSeconds[r.method, default: []].append(e); evalSeconds[r.method, default: []].append(t - e)
                scores.append(.init(image: r.image, method: r.method, metric: "seconds-explain", value: e))
                scores.append(.init(image: r.image, method: r.method, metric: "seconds-evaluate", value: t - e))
            }
        }
        let summary = MetricSummary(scores, methods: methods, metrics: metricNames + ["seconds-explain", "seconds-evaluate"],
                                    resamples: resamples, seed: 0)
        try AtomicFile.write(Array(summary.csv().utf8), to: outDir + "/summary.csv")
        let table = MetricSummary(scores, methods: methods, metrics: metricNames, resamples: resamples, seed: 0)
        func mean(_ v: [Double]?) -> String { v.map { String(format: "%.3f", $0.reduce(0, +) / Double(max($0.count, 1))) } ?? "—" }
        let direction = Dictionary(uniqueKeysWithValues: metrics.map { ($0.name, $0.entry.higherIsBetter) })
        var md = "# Evaluation: \(manifest.name ?? "dataset")\n\n"
        md += "Images: \(Set(records.map(\.image)).count) (\(manifest.images.count) in the manifest). Mean [95% bootstrap interval, \(resamples) resamples, seeded]; ↑ higher is better, ↓ lower.\n\n"
        md += table.markdown(direction: direction, extra: [
            ("explain s/image", Dictionary(uniqueKeysWithValues: methods.map { ($0, mean(explainSeconds[$0])) })),
            ("evaluate s/image", Dictionary(uniqueKeysWithValues: methods.map { ($0, mean(evalSeconds[$0])) })),
        ])
        if methods.contains("random") {
            md += "\nSanity check against the random map (yes: the mean is better than the random map's in the metric's direction):\n\n"
            for m in methods where m != "random" {
                let verdicts = metricNames.compactMap { k -> String? in
                    guard let a = table.cells[m]?[k], let r = table.cells["random"]?[k], let up = direction[k] else { return nil }
                    if a.mean == r.mean { return "\(k) tie" }
                    let beats = up ? a.mean > r.mean : a.mean < r.mean
                    return "\(k) \(beats ? "yes" : "NO")"
                }
                md += "- \(m): \(verdicts.joined(separator: ", "))\n"
            }
        }
        try AtomicFile.write(Array(md.utf8), to: outDir + "/summary.md")
    }
}

/// External maps (`--maps`): one plane [H, W] (or [1, H, W], [1, 1, H, W]) per image, resized
/// bilinearly (half-pixel centres) to the model input's size when it differs.
enum MapFile {
    static func plane(_ t: Tensor, height h: Int, width w: Int) throws -> Tensor {
        let dims = t.shape.filter { $0 != 1 }
        guard t.shape.count >= 2, t.shape.count <= 4, dims.count <= 2, let mh = t.shape.dropLast().last, let mw = t.shape.last,
              mh * mw == t.count, mh > 0, mw > 0 else {
            throw CLIError("a map must be [H, W] (or [1, H, W], [1, 1, H, W]), got \(t.shape)")
        }
        let v = try t.floatValues()
        if mh == h && mw == w { return Tensor(unchecked: [h, w], floats: v) }
        let b = try MapBatch(Tensor(unchecked: [1, mh, mw], floats: v)).resized(height: h, width: w)
        return Tensor(unchecked: [h, w], floats: Array(b.map(0)))
    }
}
