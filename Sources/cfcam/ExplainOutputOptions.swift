import ArgumentParser
import Importers
import Methods
import Runs

/// Where `explain` writes: one input's files (`--raw`, `--overlay`, `--json`), or a folder run
/// (`--out-dir`, with resume, shards and the join of shard outputs).
struct ExplainOutputOptions: ParsableArguments {
    @Option(help: "Write the raw map (.npy). With several methods: NAME.METHOD.npy for each.")
    var raw: String?

    @Option(help: "Write the map over the image at the image's own resolution (.png or .jpg). With several methods: a side-by-side panel here and NAME.METHOD.png for each.")
    var overlay: String?

    @Option(help: "Write a JSON report: top-5 predictions, the explained target and its score, methods, layers, options, timings.")
    var json: String?

    @Option(help: "Explain every image of the inputs (files, folders, globs) into this folder: per image a folder with maps, overlays, a panel and result.json; index.sqlite holds one row per image x method.")
    var outDir: String?

    @Flag(help: "With --out-dir: redo images already done (default: skip them, as recorded in OUT/index.sqlite).")
    var force = false

    @Option(name: .customLong("shard"), help: "With --out-dir: process shard i of n (0-based, i/n): a deterministic 1/n of the inputs.")
    var shardFlag: String?

    @Option(help: "With --out-dir: the number of shards, the index coming from JOB_COMPLETION_INDEX (Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID.")
    var shards: Int?

    @Option(help: "With --out-dir: images per forward batch (images of one size; default 4).")
    var imageBatch: Int = 4

    @Option(help: "Colormap for overlays: \(ColormapRegistry.standard.names.joined(separator: ", ")) (default jet; signed maps: \(MapPictures.signedDefault)).")
    var colormap: String?

    @Option(help: "Weight of the heatmap in the overlay, 0...1 (default 0.5; pytorch-grad-cam's image_weight is 1 - alpha).")
    var alpha: Float = 0.5


    func validate(inputs: [String]) throws {
        guard (0...1).contains(alpha) else { throw ValidationError("--alpha must be in 0...1, got \(alpha)") }
        guard imageBatch >= 1 else { throw ValidationError("--image-batch must be at least 1") }
        guard !inputs.isEmpty else { throw ValidationError("give an input: an image, a folder, a glob or a .npy tensor") }
        if outDir != nil {
            guard raw == nil, overlay == nil, json == nil else {
                throw ValidationError("--out-dir writes every image's files itself; drop --raw / --overlay / --json")
            }
        } else {
            if force || shardFlag != nil || shards != nil {
                throw ValidationError("--force, --shard and --shards apply to folder runs (--out-dir)")
            }
            guard inputs.count == 1, !InputSet.isPattern(inputs[0]), !isDirectory(inputs[0]) else {
                throw ValidationError("several inputs, a folder or a glob need --out-dir OUT")
            }
            guard raw != nil || overlay != nil || json != nil else {
                throw ValidationError("nothing to write: give --raw MAP.npy, --overlay OUT.png, --json OUT.json or --out-dir OUT")
            }
        }
    }

    /// The colormap of each step's overlay (signed maps default to a diverging one).
    func colormaps(for steps: [ExplainJob.Step]) throws -> [Colormap] {
        try steps.map { step in
            let name = colormap ?? (step.entry.output == .relevance ? MapPictures.signedDefault : "jet")
            return try ColormapRegistry.standard.colormap(named: name)
        }
    }

    /// Fails before any work when a requested output cannot be written.
    func checkSingleOutputs(steps: [ExplainJob.Step], dumpInput: String?) throws {
        let p = paths(steps: steps)
        for path in p.overlay.compactMap({ $0 }) + [p.panel].compactMap({ $0 }) { try ImageEncoder.checkWritable(path: path) }
        for path in p.raw.compactMap({ $0 }) + [p.json, dumpInput].compactMap({ $0 }) { try AtomicFile.checkWritable(path: path) }
    }

    /// Output paths for one input: each method's raw map and overlay, the panel and the JSON.
    func paths(steps: [ExplainJob.Step]) -> OutputPaths {
        let several = steps.count > 1
        return OutputPaths(
            raw: steps.map { s in raw.map { several ? Self.suffixed($0, s.name) : $0 } },
            overlay: steps.map { s in overlay.map { several ? Self.suffixed($0, s.name) : $0 } },
            panel: several ? overlay : nil, json: json)
    }

    /// "out/x.png" + "gradcam" -> "out/x.gradcam.png".
    static func suffixed(_ path: String, _ name: String) -> String {
        let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        guard let dot = path[slash...].lastIndex(of: "."), dot != slash else { return path + "." + name }
        return String(path[..<dot]) + "." + name + String(path[dot...])
    }
}

/// The files one input's explanation goes to (nil: not written).
struct OutputPaths {
    var raw: [String?]
    var overlay: [String?]
    var panel: String?
    var json: String?
    var all: [String] { raw.compactMap { $0 } + overlay.compactMap { $0 } + [panel, json].compactMap { $0 } }
}
