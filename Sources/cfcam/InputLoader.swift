import Foundation
import Graph
import Importers
import Methods

/// One explanation input: the NCHW tensor methods see, and for an image the decoded pixels and how
/// the tensor was cut from them (to draw the map back over the original).
struct LoadedInput {
    var tensor: Tensor
    var image: PixelImage?
    var geometry: PreprocessGeometry?
    var decodeSeconds: Double = 0
    var preprocessSeconds: Double = 0
}

/// Reads an explanation input: an image (any decodable format, sniffed from its bytes) decoded and
/// preprocessed for the model's input (its channels and fixed height / width; free dims run at
/// the preprocessed image's own size), or a `.npy` tensor in the model's own layout (an NHWC
/// model's `[N, H, W, C]` is turned into the `[N, C, H, W]` methods work on).
enum InputLoader {
    static func isTensor(_ path: String) -> Bool { path.lowercased().hasSuffix(".npy") }

    static func load(_ path: String, for model: ExplainModel, spec: PreprocessSpec) throws -> LoadedInput {
        if !isTensor(path) {
            let t0 = DispatchTime.now()
            let image = try ImageDecoder.read(path: path)
            let t1 = DispatchTime.now()
            let dims = model.inputDims
            guard dims.count == 4 else {
                throw CLIError("\(path): the model's input '\(model.nativeInputName)' is \(dims.count)-D, not an image [N, C, H, W]; give a .npy tensor")
            }
            let p = try Preprocessor.apply(image, spec: spec, channels: dims[1] ?? 3, height: dims[2], width: dims[3])
            return LoadedInput(tensor: p.tensor, image: image, geometry: p.geometry,
                               decodeSeconds: seconds(t0, t1), preprocessSeconds: seconds(t1, DispatchTime.now()))
        }
        let dims = model.inputDims
        let t = try NPY.read(path: path)
        guard t.dtype == .float32 else { throw CLIError("\(path): the input must be float32, got \(t.dtype)") }
        let x = t.rank == 3 ? try t.reshaped([1] + t.shape) : t
        let nchw = try model.layout.toNCHW(x)
        guard nchw.rank == 4, dims.count == 4, zip(nchw.shape.dropFirst(), dims.dropFirst()).allSatisfy({ s, d in d.map { $0 == s } ?? true }) else {
            let want = model.layout == .nhwc ? "[N, H, W, C]" : "[N, C, H, W]"
            let fixed = (model.layout == .nhwc && dims.count == 4 ? [dims[0], dims[2], dims[3], dims[1]] : dims).map { $0.map(String.init) ?? "?" }
            throw CLIError("\(path): input of shape \(t.shape) does not fit the model's \(model.layout) input \(want) = [\(fixed.joined(separator: ", "))]")
        }
        return LoadedInput(tensor: nchw)
    }

    static func seconds(_ a: DispatchTime, _ b: DispatchTime) -> Double { Double(b.uptimeNanoseconds - a.uptimeNanoseconds) / 1e9 }
}
