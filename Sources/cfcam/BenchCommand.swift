import ArgumentParser
import Graph
import Importers
import Methods
import Plugins
import Rules
#if canImport(Glibc)
import Glibc
#endif

/// `cfcam bench MODEL`: times the forward pass after warm-up; ends with `median_ms=<number>`.
struct BenchCommand: CFCAMCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Time the forward pass (after warm-up) and print median_ms=<number>.")

    @OptionGroup var options: ModelOptions

    @Option(help: "Batch size.") var batch: Int = 1
    @Option(help: "Timed runs.") var runs: Int = 10
    @Option(help: "Warm-up runs.") var warmup: Int = 2
    @Option(help: "Size used for symbolic spatial dimensions.") var size: Int = 224
    @Flag(help: "Print the time spent per op type over the timed runs.") var profile = false
    @Option(help: "Time an explanation method (e.g. gradcam, scorecam) instead of the forward pass.") var method: String?
    @Option(help: "Layer for --method (default auto).") var layer: String = "auto"
    @Option(help: "Masked inputs per forward for perturbation methods (with --method).") var batchSize: Int = 32
    @Option(help: "Method parameter KEY=VALUE (with --method; repeatable).") var param: [String] = []

    func run(_ context: CLIContext) throws {
        guard batch > 0, runs > 0 else { throw ValidationError("--batch and --runs must be positive") }
        let (graph, registry) = try options.load(context.registries)
        var feeds: [String: Tensor] = [:]
        var rng = SplitMix64(seed: 0)
        for info in graph.feedInputs {
            guard let dims = info.shape else { throw ValidationError("input '\(info.name)' has unknown rank") }
            let shape = dims.enumerated().map { i, d in d.value ?? (i == 0 ? batch : size) }
            let n = Tensor.elementCount(shape)
            feeds[info.name] = info.dtype == .float32
                ? Tensor(unchecked: shape, floats: (0..<n).map { _ in rng.nextGaussian() })
                : Tensor.zeros(shape, dtype: info.dtype)
        }
        if let method {
            try CLIError.naming(options.model) { try benchMethod(method, graph: graph, registries: context.registries, feeds: feeds) }
            return
        }
        var exec = try CLIError.naming(options.model) { try Executor(graph: graph, registry: registry, threads: options.threadCount) }
        for _ in 0..<warmup { _ = try CLIError.naming(options.model) { try exec.run(feeds) } }
        let profiler = OpProfiler()
        if profile { exec.nodeTimer = { node, s in profiler.add(node, s) } }
        var times: [Double] = []
        for i in 0..<runs {
            let t0 = monotonicSeconds()
            _ = try CLIError.naming(options.model) { try exec.run(feeds) }
            let ms = (monotonicSeconds() - t0) * 1000
            times.append(ms)
            print("run \(i + 1): \(formatMs(ms)) ms")
        }
        if profile { profiler.report(runs: runs) }
        report(times)
    }

    /// Times `method` on the benchmark input (one explanation per run, after warm-up).
    private func benchMethod(_ name: String, graph: Graph, registries: Registries, feeds: [String: Tensor]) throws {
        let model = try ExplainModel(graph: graph, registry: registries.ops, threads: options.threadCount)
        let explainer = try registries.methods.method(named: name, parameters: try registries.parameters(parsing: param))
        guard let x = feeds[model.inputName] else { throw ValidationError("no input for \(model.inputName)") }
        let request = ExplainRequest(input: x, target: .top1, layers: [LayerSpec(layer)], batchSize: batchSize)
        for _ in 0..<warmup { _ = try explainer.explain(request, model: model) }
        var times: [Double] = []
        for i in 0..<runs {
            let t0 = monotonicSeconds()
            _ = try explainer.explain(request, model: model)
            let ms = (monotonicSeconds() - t0) * 1000
            times.append(ms)
            print("run \(i + 1): \(formatMs(ms)) ms")
        }
        report(times)
    }

    private func report(_ unsorted: [Double]) {
        let times = unsorted.sorted()
        let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
        print("threads=\(options.threadCount) batch=\(batch) blas=\(BLAS.coreName)\(method.map { " method=\($0)" } ?? "")")
        print("median_ms=\(formatMs(median))")
    }
}

func formatMs(_ v: Double) -> String {
    let r = (v * 1000).rounded() / 1000
    return "\(r)"
}

/// Deterministic generator for benchmark inputs.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func nextUniform() -> Float { Float(next() >> 40) / Float(1 << 24) }
    mutating func nextGaussian() -> Float {
        let u1 = max(nextUniform(), 1e-7), u2 = nextUniform()
        return (-2 * logf(u1)).squareRoot() * cosf(2 * .pi * u2)
    }
}

/// Accumulates node wall time per op type for `bench --profile`.
final class OpProfiler: @unchecked Sendable {
    private var total: [String: (Double, Int)] = [:]
    private var perNode: [String: Double] = [:]
    private var order: [String] = []
    func add(_ node: Node, _ s: Double) {
        let t = total[node.qualifiedOp] ?? (0, 0); total[node.qualifiedOp] = (t.0 + s, t.1 + 1)
        if perNode[node.name] == nil { order.append(node.name) }
        perNode[node.name, default: 0] += s
    }
    /// `CFCAM_PROFILE_NODES=N`: the N slowest nodes (10); `CFCAM_PROFILE_ORDER=1`: them all in run
    /// order instead (to line up with another runtime's profile).
    func report(runs: Int) {
        let inOrder = getenvString("CFCAM_PROFILE_ORDER") == "1"
        print(inOrder ? "nodes in run order:" : "slowest nodes:")
        let shown = Int(getenvString("CFCAM_PROFILE_NODES") ?? "") ?? 10
        let rows = inOrder ? order.map { ($0, perNode[$0] ?? 0) }
            : Array(perNode.sorted(by: { $0.value > $1.value }).prefix(shown))
        for (name, s) in rows {
            print("  \(name): \(formatMs(s * 1000 / Double(runs))) ms/run")
        }
        print("per op type:")
        let sum = total.values.reduce(0) { $0 + $1.0 }
        for (op, t) in total.sorted(by: { $0.value.0 > $1.value.0 }) {
            print("  \(op): \(formatMs(t.0 * 1000 / Double(runs))) ms/run over \(t.1 / runs) nodes (\(Int((t.0 / max(sum, 1e-12) * 100).rounded()))%)")
        }
    }
}
