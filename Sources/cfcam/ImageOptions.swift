import ArgumentParser
import Importers
import Methods

/// How images become model inputs: a preset or explicit torchvision-style steps, the layout, the
/// class names, and `--dump-input`. Precedence: explicit flags, then the preset given here, then the
/// model's own metadata (ONNX `metadata_props` or the JSON file beside it), then `imagenet` for
/// 3-channel models (`unit` for others).
struct ImageOptions: ParsableArguments {
    @Option(help: "Preprocessing preset: \(PreprocessPreset.names.joined(separator: ", ")) (default: the model's metadata, else imagenet).")
    var preprocess: String?

    @Option(help: "Resize the short side to N (torchvision Resize(N)), or to HxW exactly.")
    var resize: String?

    @Option(help: "Centre crop N (or HxW) after resizing.")
    var crop: String?

    @Option(help: "Per-channel mean a,b,c subtracted after scaling (in the scaled units).")
    var mean: String?

    @Option(help: "Per-channel std a,b,c divided by after the mean.")
    var std: String?

    @Option(help: "Resampling: \(ResampleFilter.allCases.map(\.rawValue).joined(separator: ", ")) (antialiased when shrinking, as PIL).")
    var interpolation: String?

    @Flag(help: "Feed channels in BGR order.")
    var bgr = false

    @Option(help: "The model's input layout: nchw or nhwc (default: inferred from the graph).")
    var layout: String?

    @Option(help: "Class names, one per line (default: the model's metadata).")
    var labels: String?

    @Option(help: "Write the exact tensor fed to the model (.npy, in the model's own layout).")
    var dumpInput: String?

    func labels(metadata: ModelMetadata) throws -> [String]? {
        if let l = labels { return try CLIError.naming(l) { try LabelFile.read(path: l) } }
        return metadata.labels
    }

    /// The preprocessing for `model`, from flags, preset, metadata and defaults (see the type's comment).
    func spec(metadata: ModelMetadata, model: ExplainModel) throws -> PreprocessSpec {
        let d = model.inputDims
        let size: Int? = d.count == 4 ? (d[2].flatMap { h in d[3].map { min(h, $0) } }) : nil
        return try spec(metadata: metadata, channels: d.count == 4 ? d[1] ?? 3 : 3, inputSize: size)
    }

    /// The preprocessing for an image input with `channels` channels and a square-ish fixed size
    /// (`inputSize`: the smaller of height and width; nil when they are free).
    func spec(metadata: ModelMetadata, channels: Int, inputSize: Int?) throws -> PreprocessSpec {
        var spec: PreprocessSpec
        if let p = preprocess {
            spec = try PreprocessPreset.spec(named: p, inputSize: inputSize)
        } else if let m = metadata.preprocess {
            spec = m
        } else {
            spec = try PreprocessPreset.spec(named: channels == 3 ? "imagenet" : "unit", inputSize: inputSize)
        }
        return try spec.overriding(resize: resize, crop: crop, mean: mean, std: std, interpolation: interpolation, bgr: bgr ? true : nil)
    }

    /// The layout flag, parsed.
    func layoutFlag() throws -> InputLayout? {
        guard let l = layout else { return nil }
        guard let v = InputLayout(rawValue: l.lowercased()) else { throw ValidationError("--layout must be nchw or nhwc, got '\(l)'") }
        return v
    }
}

extension PreprocessSpec {
    /// One line for reports: "resize 256 bicubic, crop 224, /1, mean [127, 127, 127], std [128, 128, 128]".
    var summary: String {
        func size(_ s: ImageSize) -> String {
            switch s { case .shortSide(let n): return "\(n)"; case .exact(let h, let w): return "\(h)x\(w)" }
        }
        func list(_ v: [Float]) -> String { "[" + v.map { String(format: "%g", $0) }.joined(separator: ", ") + "]" }
        var parts: [String] = []
        if let r = resize { parts.append("resize \(size(r)) \(interpolation.rawValue)") }
        if let c = crop { parts.append("crop \(size(c))") }
        parts.append("/\(String(format: "%g", scale))")
        parts.append("mean \(list(mean))")
        parts.append("std \(list(std))")
        if bgr { parts.append("BGR") }
        return parts.joined(separator: ", ")
    }
}
