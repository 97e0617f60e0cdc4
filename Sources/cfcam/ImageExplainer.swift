import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Graph
import Importers
import Methods

/// Explains inputs with the job's methods and writes what a person looks at: raw maps, overlays
/// at the photo's resolution, a side-by-side panel, and a JSON report. Shared by `explain` on one
/// input and by folder runs.
struct ImageExplainer {
    let model: ExplainModel
    let job: ExplainJob
    let steps: [ExplainJob.Step]
    let labels: [String]?
    let preprocessing: PreprocessSpec
    let colormaps: [Colormap]
    let alpha: Float
    let modelPath: String
    let options: [String: String]

    /// One method's outcome on a batch: its maps or why it failed.
    struct BatchResult {
        var prediction: ExplainJob.Prediction
        var methods: [Result<ExplainJob.MethodResult, Error>]
    }

    /// The prediction once, then every method on the same batch (a method's failure is kept, not thrown).
    func explain(_ x: Tensor) throws -> BatchResult {
        let prediction = try job.predict(x, model: model)
        let methods = steps.map { step in Result { try job.explain(step, input: x, prediction: prediction, model: model) } }
        return BatchResult(prediction: prediction, methods: methods)
    }

    /// The report of image `row` of a batch result, with the files written for it.
    func write(_ result: BatchResult, row: Int, input: LoadedInput, name: String, paths: OutputPaths, started: DispatchTime) throws -> ExplainReport {
        var methods: [ExplainReport.MethodInfo] = []
        var tiles: [(image: PixelImage, caption: String)] = []
        if let image = input.image { tiles.append((image, "input")) }
        for (k, outcome) in result.methods.enumerated() {
            let step = steps[k]
            switch outcome {
            case .failure(let e):
                methods.append(.init(name: step.name, layers: [], seconds: 0, mapShape: [], raw: nil, overlay: nil, error: "\(e)"))
            case .success(let r):
                let one = try r.map.rows(row..<(row + 1))
                if let p = paths.raw[k] { try CLIError.naming(p) { try AtomicFile.write(NPY.write(one), to: p) } }
                var overlayPath: String?
                if paths.overlay[k] != nil || paths.panel != nil {
                    let picture = try MapPictures.picture(try MapPictures.plane(r.map, row: row, output: step.entry.output), input: input,
                                                          output: step.entry.output, colormap: colormaps[k], alpha: alpha)
                    if let p = paths.overlay[k] { try ImageEncoder.write(picture, path: p); overlayPath = p }
                    tiles.append((picture, step.name))
                }
                methods.append(.init(name: step.name, layers: r.layers, seconds: r.seconds, mapShape: one.shape,
                                     raw: paths.raw[k], overlay: overlayPath, error: nil))
            }
        }
        if let p = paths.panel, tiles.count > 1 { try ImageEncoder.write(Panel.compose(tiles), path: p) }
        let t = result.prediction.targets[row]
        let report = ExplainReport(
            cfcamVersion: CFCAMVersion.string, image: name, model: modelPath, explained: model.outputName,
            inputShape: [1] + Array(input.tensor.shape.dropFirst()),
            preprocess: input.image == nil ? "none (tensor input)" : preprocessing.summary,
            predictions: ExplainReport.classes(result.prediction.top[row], labels: labels),
            target: .init(description: t.label, class: t.classIndex, label: Labels.name(t.classIndex, in: labels), score: t.score),
            methods: methods, options: options,
            timings: .init(decode: input.decodeSeconds, preprocess: input.preprocessSeconds, predict: result.prediction.seconds,
                           total: InputLoader.seconds(started, DispatchTime.now())),
            panel: paths.panel)
        if let p = paths.json { try CLIError.naming(p) { try AtomicFile.write(try report.encoded(), to: p) } }
        return report
    }

    /// `explain` on one input: prints the top-5 and what was explained, writes the requested files.
    func explainSingle(_ path: String, outputs: ExplainOutputOptions, dumpInput: String?) throws {
        let started = DispatchTime.now()
        let input = try CLIError.naming(path) { try InputLoader.load(path, for: model, spec: preprocessing) }
        if let d = dumpInput { try CLIError.naming(d) { try AtomicFile.write(NPY.write(try model.layout.fromNCHW(input.tensor)), to: d) } }
        let result = try CLIError.naming(modelPath) { try explain(input.tensor) }
        for (k, outcome) in result.methods.enumerated() {
            if case .failure(let e) = outcome { throw CLIError.prefixed(modelPath, steps[k].name, e) }
        }
        let n = input.tensor.shape[0]
        var failed = false
        // A tensor batch: each raw map file holds the whole batch [N, ...] (as `--raw` always did);
        // overlays and reports are per image (NAME.ROW.EXT).
        let all = outputs.paths(steps: steps)
        if n > 1 {
            for (k, outcome) in result.methods.enumerated() {
                if case .success(let r) = outcome, let p = all.raw[k] { try CLIError.naming(p) { try AtomicFile.write(NPY.write(r.map), to: p) } }
            }
        }
        for row in 0..<n {
            var paths = n == 1 ? all : all.row(row)
            if n > 1 { paths.raw = paths.raw.map { _ in nil } }
            let report = try write(result, row: row, input: input, name: path, paths: paths, started: started)
            print(Self.summary(report, labels: labels, image: n == 1 ? path : "\(path)[\(row)]"))
            failed = failed || report.methods.contains { $0.error != nil }
        }
        if failed { throw CLIError("some methods failed") }
    }

    /// The lines `explain` prints for one image.
    static func summary(_ r: ExplainReport, labels: [String]?, image: String) -> String {
        var lines: [String] = []
        if !r.predictions.isEmpty {
            lines.append("\(image): top-\(r.predictions.count): " + r.predictions.map {
                "\(Labels.describe($0.class, in: labels)) \(String(format: "%.3f", $0.probability))"
            }.joined(separator: ", "))
        }
        let what = r.target.class.map { c in r.target.description.replacingOccurrences(of: "class \(c)", with: "class \(Labels.describe(c, in: labels))") }
            ?? r.target.description
        for m in r.methods {
            let layer = m.layers.isEmpty ? "" : " at layer '\(m.layers.joined(separator: ", "))'"
            lines.append("\(image): \(m.name) explained \(what) (score \(String(format: "%.4g", r.target.score)))\(layer) in \(String(format: "%.2f", m.seconds)) s"
                         + (m.error.map { " FAILED: \($0)" } ?? ""))
        }
        return lines.joined(separator: "\n")
    }
}

extension OutputPaths {
    /// Paths for image `row` of a tensor batch: NAME.ROW.EXT.
    func row(_ row: Int) -> OutputPaths {
        func s(_ p: String?) -> String? { p.map { ExplainOutputOptions.suffixed($0, "\(row)") } }
        return OutputPaths(raw: raw.map(s), overlay: overlay.map(s), panel: s(panel), json: s(json))
    }
}

extension CLIError {
    /// "MODEL: METHOD: message".
    static func prefixed(_ model: String, _ method: String, _ error: Error) -> Error {
        let text = "\(error)"
        return CLIError(text.contains(model) ? text : "\(model): \(method): \(text)")
    }
}
