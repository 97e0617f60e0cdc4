import Graph
import Importers
import Methods

/// Reads an explanation input: a PNG image resized to the model's input size (its fixed dims,
/// else 224x224) and ImageNet-normalised, or a `.npy` tensor in the model's own layout (an NHWC
/// model's `[N, H, W, C]` is turned into the `[N, C, H, W]` methods work on).
enum InputLoader {
    static func load(_ path: String, for model: ExplainModel) throws -> Tensor {
        let dims = model.inputDims
        if path.lowercased().hasSuffix(".png") {
            let h = dims.count == 4 ? dims[2] ?? 224 : 224
            let w = dims.count == 4 ? dims[3] ?? 224 : 224
            return ImagePreprocessing(height: h, width: w).tensor(from: try RGBImage.readPNG(path: path))
        }
        let t = try NPY.read(path: path)
        guard t.dtype == .float32 else { throw CLIError("\(path): the input must be float32, got \(t.dtype)") }
        let x = t.rank == 3 ? try t.reshaped([1] + t.shape) : t
        let nchw = try model.layout.toNCHW(x)
        guard nchw.rank == 4, dims.count == 4, zip(nchw.shape.dropFirst(), dims.dropFirst()).allSatisfy({ s, d in d.map { $0 == s } ?? true }) else {
            let want = model.layout == .nhwc ? "[N, H, W, C]" : "[N, C, H, W]"
            let fixed = (model.layout == .nhwc ? [dims[0], dims[2], dims[3], dims[1]] : dims).map { $0.map(String.init) ?? "?" }
            throw CLIError("\(path): input of shape \(t.shape) does not fit the model's \(model.layout) input \(want) = [\(fixed.joined(separator: ", "))]")
        }
        return nchw
    }
}
