import ArgumentParser
import Foundation
import Graph
import Importers
import Methods
import Plugins
import Rules

/// `cfcam compare MODEL_A MODEL_B IMAGE...`: the two models' attention maps (multi-layer activation
/// energy, or a method's map), their Pearson correlation per block of a g x g grid and overall, as
/// a table, a JSON file and a picture (docs/metrics.md, "Comparing two models' attention"). The
/// computation is `AttentionComparison` in Methods/Metrics.
struct CompareCommand: CFCAMCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare", abstract: "Compare two models' attention maps block by block (Pearson correlation on a g x g grid).")

    @Argument(help: "The first model (.onnx or ARCH:WEIGHTS.npz); the comparison is made in its input frame.")
    var modelA: String

    @Argument(help: "The second model.")
    var modelB: String

    @Argument(help: "Images (\(ImageFormat.extensionList)) or .npy tensors.")
    var images: [String]

    @Option(help: "A method's map instead of the multi-layer activation energy (e.g. gradcam; cfcam methods lists them).")
    var method: String?

    @Option(help: "Method parameter KEY=VALUE (repeatable) for --method.")
    var param: [String] = []

    @Option(help: "CLASS, top1 (default), A-vs-B or A-vs-all, for --method.")
    var target: String?

    @Option(help: "Layers of model A for the activation energy (repeatable; default: the last feature map of each of the 3 deepest spatial sizes).")
    var layerA: [String] = []

    @Option(help: "Layers of model B for the activation energy (repeatable; default as for model A).")
    var layerB: [String] = []

    @Option(help: "Grid size g: the maps are split into g x g blocks (2, 3 or 4).")
    var grid: Int = 2

    @Option(help: "Write the results as JSON.")
    var json: String?

    @Option(help: "Write a picture: the photo, both maps with the grid, the per-block figures (.png or .jpg; several images: NAME.INDEX.EXT).")
    var picture: String?

    @Option(help: "Threads to use (default: CFCAM_THREADS, else all cores).")
    var threads: Int?

    @OptionGroup var image: ImageOptions

    func validate() throws {
        guard [2, 3, 4].contains(grid) else { throw ValidationError("--grid must be 2, 3 or 4, got \(grid)") }
        if images.isEmpty { throw ValidationError("give at least one image") }
        if method == nil && (!param.isEmpty || target != nil) { throw ValidationError("--param and --target apply to --method") }
        if method != nil && (!layerA.isEmpty || !layerB.isEmpty) { throw ValidationError("--layer-a / --layer-b choose the activation-energy layers; drop them with --method") }
    }

    struct Side {
        let path: String
        let model: ExplainModel
        let spec: PreprocessSpec
        let layers: [String]
    }

    struct Entry: Codable {
        var image: String, map: String, grid: Int, overall: Double, blocks: [[Double]]
        var layersA: [String], layersB: [String]
        enum CodingKeys: String, CodingKey { case image, map, grid, overall, blocks, layersA = "layers_a", layersB = "layers_b" }
    }

    func side(_ path: String, layers: [String], registries: Registries) throws -> Side {
        var modelOptions = ExplainModel.Options()
        modelOptions.layout = try image.layoutFlag()
        let model = try ExplainModelLoader.load(path, options: modelOptions, registries: registries,
                                                threads: threads.map { max(1, $0) } ?? Executor.defaultThreads)
        let metadata = try CLIError.naming(path) { try ModelMetadata.load(modelPath: path, props: model.graph.metadata) }
        let picked = method != nil ? [] : try CLIError.naming(path) {
            layers.isEmpty ? try AttentionComparison.energyLayers(model: model) : try LayerResolver.resolve(layers.map { LayerSpec($0) }, model: model)
        }
        return Side(path: path, model: model, spec: try image.spec(metadata: metadata, model: model), layers: picked)
    }

    /// One image's map for one model, at that model's input size.
    func map(_ s: Side, _ input: LoadedInput, registries: Registries) throws -> (values: [Float], height: Int, width: Int) {
        guard let name = method else {
            return try AttentionComparison.activationEnergy(model: s.model, input: input.tensor, layers: s.layers)
        }
        let entry = try registries.methods.entry(named: name)
        let job = ExplainJob(target: try registries.targets.parse(target ?? "top1"), topK: 1)
        let step = ExplainJob.Step(entry: entry, method: try entry.method(try registries.parameters(parsing: param)))
        let prediction = try job.predict(input.tensor, model: s.model)
        let r = try job.explain(step, input: input.tensor, prediction: prediction, model: s.model)
        let plane = try MapPictures.plane(r.map, row: 0, output: entry.output)
        return (plane.values, plane.height, plane.width)
    }

    func run(_ context: CLIContext) throws {
        let registries = context.registries
        let a = try side(modelA, layers: layerA, registries: registries), b = try side(modelB, layers: layerB, registries: registries)
        var entries: [Entry] = []
        for (i, path) in images.enumerated() {
            let ia = try CLIError.naming(path) { try InputLoader.load(path, for: a.model, spec: a.spec) }
            let ib = try CLIError.naming(path) { try InputLoader.load(path, for: b.model, spec: b.spec) }
            guard ia.tensor.shape[0] == 1, ib.tensor.shape[0] == 1 else { throw CLIError("\(path): one image per file, got a batch") }
            let ma = try CLIError.naming(modelA) { try map(a, ia, registries: registries) }
            let mb = try CLIError.naming(modelB) { try map(b, ib, registries: registries) }
            // Both maps in model A's input frame.
            let h = ia.tensor.shape[2], w = ia.tensor.shape[3]
            let ua = try AttentionComparison.resized(ma.values, h: ma.height, w: ma.width, to: h, w)
            let ub = try AttentionComparison.resized(mb.values, h: mb.height, w: mb.width, to: h, w)
            let r = try AttentionComparison.compare(ua, ub, height: h, width: w, grid: grid)
            let entry = Entry(image: path, map: method ?? "activation-energy", grid: grid, overall: r.overall, blocks: r.blocks,
                              layersA: a.layers, layersB: b.layers)
            entries.append(entry)
            print(Self.table(entry))
            if let p = picture {
                let out = images.count > 1 ? ExplainOutputOptions.suffixed(p, "\(i)") : p
                try CLIError.naming(out) { try ImageEncoder.write(try drawing(entry, ua, ub, width: w, height: h, input: ia), path: out) }
            }
        }
        if let j = json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try CLIError.naming(j) { try AtomicFile.write(Array(try enc.encode(entries)), to: j) }
        }
    }

    static func table(_ e: Entry) -> String {
        var lines = ["\(e.image): \(e.map), overall Pearson r = \(String(format: "%.4f", e.overall))"
                     + (e.layersA.isEmpty ? "" : " (A layers \(e.layersA.joined(separator: ", ")); B layers \(e.layersB.joined(separator: ", ")))"),
                     "  block r (\(e.grid)x\(e.grid), rows top to bottom):"]
        for row in e.blocks { lines.append("    " + row.map { String(format: "%7.4f", $0) }.joined(separator: " ")) }
        return lines.joined(separator: "\n")
    }

    /// The photo, then each map over it with the grid drawn; the figures in the captions.
    func drawing(_ e: Entry, _ ua: [Float], _ ub: [Float], width w: Int, height h: Int, input: LoadedInput) throws -> PixelImage {
        let jet = try ColormapRegistry.standard.colormap(named: "jet")
        func tile(_ m: [Float]) throws -> PixelImage {
            let pic = try MapPictures.picture((m, w, h), input: input, output: .map, colormap: jet, alpha: 0.5)
            return try Self.gridLines(pic, grid: e.grid, width: w, height: h, geometry: input.geometry)
        }
        let figures = e.blocks.map { $0.map { String(format: "%.2f", $0) }.joined(separator: " ") }
        var tiles: [(image: PixelImage, caption: String)] = []
        if let photo = input.image { tiles.append((photo, "input")) }
        tiles.append((try tile(ua), "A: \((modelA as NSString).lastPathComponent)"))
        tiles.append((try tile(ub), (["B: \((modelB as NSString).lastPathComponent)", "r = \(String(format: "%.3f", e.overall))"] + figures).joined(separator: "\n")))
        return try Panel.compose(tiles)
    }

    /// White lines at the block boundaries (model-input columns and rows carried into the picture's
    /// pixels), inside the part of the photo the model saw.
    static func gridLines(_ pic: PixelImage, grid g: Int, width w: Int, height h: Int, geometry: PreprocessGeometry?) throws -> PixelImage {
        var s = pic.samples
        let c = pic.channels, white = UInt16((1 << pic.depth) - 1)
        func toPicture(_ v: Int, _ n: Int, original: Int, resized: Int, offset: Int, window: Int, size: Int) -> Int {
            guard geometry != nil else { return v * size / n }
            return Int(((Double(v) * Double(window) / Double(n)) + Double(offset)) * Double(original) / Double(resized))
        }
        let geo = geometry
        let seen = geo?.seenRect ?? (x: 0, y: 0, width: pic.width, height: pic.height)
        let rows = max(0, seen.y)..<min(pic.height, seen.y + seen.height), cols = max(0, seen.x)..<min(pic.width, seen.x + seen.width)
        for i in 1..<g {
            let x = toPicture(i * w / g, w, original: geo?.originalWidth ?? pic.width, resized: geo?.resizedWidth ?? pic.width,
                              offset: geo?.cropX ?? 0, window: geo?.cropWidth ?? w, size: pic.width)
            let y = toPicture(i * h / g, h, original: geo?.originalHeight ?? pic.height, resized: geo?.resizedHeight ?? pic.height,
                              offset: geo?.cropY ?? 0, window: geo?.cropHeight ?? h, size: pic.height)
            if cols.contains(x) { for yy in rows { for k in 0..<c { s[(yy * pic.width + x) * c + k] = white } } }
            if rows.contains(y) { for xx in cols { for k in 0..<c { s[(y * pic.width + xx) * c + k] = white } } }
        }
        return try PixelImage(width: pic.width, height: pic.height, channels: c, depth: pic.depth, samples: s)
    }
}
