import ArgumentParser
import Graph
import Importers
import Methods
import Plugins
#if canImport(Glibc)
import Glibc
#endif

/// `cfcam run MODEL --input X.npy|photo.jpg [--output Y.npz] [--print-top K]`: runs the model and
/// writes every graph output. An image input is decoded and preprocessed as `explain` does
/// (`ImageOptions`: flags, preset, the model's metadata) and fed in the model's own layout.
struct RunCommand: CFCAMCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a model forward on a tensor or an image and write every graph output, keyed by output name, to an .npz.")

    @OptionGroup var options: ModelOptions

    @Option(name: .long, help: "Input: FILE.npy or an image (\(ImageFormat.extensionList)) for the model's only input, or NAME=FILE (repeatable).")
    var input: [String] = []

    @Option(name: .long, help: "Output .npz path (written only when the run succeeds).")
    var output: String?

    @Option(name: .customLong("print-top"), help: "Also print the K largest values (and their indices, with --labels or the model's labels: names) of each row of every 2-D output.")
    var printTop: Int?

    @OptionGroup var image: ImageOptions

    func validate() throws {
        if let k = printTop, k < 1 { throw ValidationError("--print-top must be at least 1") }
        if output == nil && printTop == nil { throw ValidationError("nothing to do: give --output Y.npz and/or --print-top K") }
    }

    func run(_ context: CLIContext) throws {
        if output != nil { try checkOutputFolder() }
        let (graph, registry) = try options.load(context.registries)
        let metadata = try CLIError.naming(options.model) { try ModelMetadata.load(modelPath: options.model, props: graph.metadata) }
        let loader = ImageFeed(options: image, metadata: metadata, graph: graph)
        let feeds = try InputFeeds.parse(input, graph: graph, model: options.model, image: loader.load)
        let outputs = try CLIError.naming(options.model) {
            let exec = try Executor(graph: graph, registry: registry, threads: options.threadCount)
            return try exec.run(feeds)
        }
        if let output { try CLIError.naming(output) { try NPZ.write(path: output, arrays: outputs) } }
        if let k = printTop {
            let labels = try image.labels(metadata: metadata)
            for o in graph.outputs { if let t = outputs[o.name] { TopK.print(name: o.name, t, k: k, labels: labels) } }
        }
    }
}

/// An image as a graph feed: decoded, preprocessed for the input's channels and size, in the
/// input's layout (`--layout`, else read from the graph), batch 1.
struct ImageFeed {
    let options: ImageOptions
    let metadata: ModelMetadata
    let graph: Graph

    func load(_ path: String, input: ValueInfo) throws -> Tensor {
        let layout = try options.layoutFlag() ?? InputLayout.infer(input: input.name, graph: graph)
        guard let declared = input.shape, declared.count == 4 else {
            throw CLIError("\(path): input '\(input.name)' is \(input.shapeDescription), not an image [N, C, H, W] or [N, H, W, C]; give a .npy tensor")
        }
        let d = declared.map(\.value)
        let (c, h, w) = layout == .nhwc ? (d[3], d[1], d[2]) : (d[1], d[2], d[3])
        let spec = try options.spec(metadata: metadata, channels: c ?? 3, inputSize: h.flatMap { h in w.map { min(h, $0) } })
        let image = try ImageDecoder.read(path: path)
        let x = try Preprocessor.apply(image, spec: spec, channels: c ?? 3, height: h, width: w).tensor
        return try layout.fromNCHW(x)
    }
}

extension RunCommand {
    /// Fails before the (possibly long) run when `--output` cannot be created in its folder.
    func checkOutputFolder() throws {
        guard let output else { return }
        let dir = output.contains("/") ? String(output[..<(output.lastIndex(of: "/") ?? output.startIndex)]) : "."
        let folder = dir.isEmpty ? "/" : dir
        guard access(folder, W_OK | X_OK) == 0 else {
            throw CLIError("\(output): cannot write into folder '\(folder)': \(String(cString: strerror(errno)))")
        }
    }
}

/// Reads `--input` arguments into graph feeds, checking each against the model's declared inputs.
enum InputFeeds {
    static func parse(_ args: [String], graph: Graph, model: String,
                      image: (String, ValueInfo) throws -> Tensor) throws -> [String: Tensor] {
        let needed = graph.feedInputs.map(\.name)
        var feeds: [String: Tensor] = [:]
        for arg in args {
            let name: String, path: String
            if let eq = arg.firstIndex(of: "="), needed.contains(String(arg[..<eq])) {
                name = String(arg[..<eq]); path = String(arg[arg.index(after: eq)...])
            } else if let eq = arg.firstIndex(of: "="), !fileExists(arg) {
                throw CLIError("--input \(arg): \(model) has no input '\(arg[..<eq])'; its inputs are: \(needed.joined(separator: ", "))")
            } else {
                guard needed.count == 1 else {
                    throw ValidationError("\(model) has inputs \(needed.joined(separator: ", ")): pass --input NAME=FILE.npy for each")
                }
                name = needed[0]; path = arg
            }
            guard feeds[name] == nil else { throw ValidationError("--input given twice for input '\(name)'") }
            let info = graph.feedInputs.first { $0.name == name }
            let t = try CLIError.naming(path) {
                if ImageDecoder.isImagePath(path), let info { return try image(path, info) }
                return try NPY.read(path: path)
            }
            if let info { try check(t, info, file: path, model: model) }
            feeds[name] = t
        }
        let missing = needed.filter { feeds[$0] == nil }
        if !missing.isEmpty {
            throw ValidationError("missing --input for input(s) \(missing.joined(separator: ", ")) of \(model)")
        }
        return feeds
    }

    /// Rank, fixed dimensions and dtype of `t` against the declared input.
    private static func check(_ t: Tensor, _ info: ValueInfo, file: String, model: String) throws {
        if let dims = info.shape {
            let ok = dims.count == t.rank && zip(dims, t.shape).allSatisfy { d, s in d.value.map { $0 == s } ?? true }
            if !ok {
                throw CLIError("\(file): input '\(info.name)' of \(model) expects shape \(info.shapeDescription), got \(t.shape)")
            }
        }
        if t.dtype != info.dtype {
            throw CLIError("\(file): input '\(info.name)' of \(model) expects \(info.dtype), got \(t.dtype)")
        }
    }

    private static func fileExists(_ path: String) -> Bool {
        guard let f = fopen(path, "rb") else { return false }
        fclose(f)
        return true
    }
}
