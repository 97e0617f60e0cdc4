import ArgumentParser
import Graph
import Importers
#if canImport(Glibc)
import Glibc
#endif

/// `cfcam run MODEL --input X.npy --output Y.npz`: runs the model and writes every graph output.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a model forward and write every graph output, keyed by output name, to an .npz.")

    @OptionGroup var options: ModelOptions

    @Option(name: .long, help: "Input tensor: FILE.npy for the model's only input, or NAME=FILE.npy (repeatable).")
    var input: [String] = []

    @Option(name: .long, help: "Output .npz path (written only when the run succeeds).")
    var output: String

    @Option(name: .customLong("print-top"), help: "Also print the K largest values (and their indices) of each row of every 2-D output.")
    var printTop: Int?

    func validate() throws {
        if let k = printTop, k < 1 { throw ValidationError("--print-top must be at least 1") }
    }

    func run() throws {
        try checkOutputFolder()
        let (graph, registry) = try options.load()
        let feeds = try InputFeeds.parse(input, graph: graph, model: options.model)
        let outputs = try CLIError.naming(options.model) {
            let exec = try Executor(graph: graph, registry: registry, threads: options.threadCount)
            return try exec.run(feeds)
        }
        try CLIError.naming(output) { try NPZ.write(path: output, arrays: outputs) }
        if let k = printTop {
            for o in graph.outputs { if let t = outputs[o.name] { TopK.print(name: o.name, t, k: k) } }
        }
    }
}

extension RunCommand {
    /// Fails before the (possibly long) run when `--output` cannot be created in its folder.
    func checkOutputFolder() throws {
        let dir = output.contains("/") ? String(output[..<(output.lastIndex(of: "/") ?? output.startIndex)]) : "."
        let folder = dir.isEmpty ? "/" : dir
        guard access(folder, W_OK | X_OK) == 0 else {
            throw CLIError("\(output): cannot write into folder '\(folder)': \(String(cString: strerror(errno)))")
        }
    }
}

/// Reads `--input` arguments into graph feeds, checking each against the model's declared inputs.
enum InputFeeds {
    static func parse(_ args: [String], graph: Graph, model: String) throws -> [String: Tensor] {
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
            let t = try CLIError.naming(path) { try NPY.read(path: path) }
            if let info = graph.feedInputs.first(where: { $0.name == name }) { try check(t, info, file: path, model: model) }
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
