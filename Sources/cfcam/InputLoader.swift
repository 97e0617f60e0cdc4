import Graph
import Importers

/// Reads an explanation input: a `.npy` tensor used as is, or a PNG image resized to the model's
/// input size (its fixed dims, else 224x224) and ImageNet-normalised.
enum InputLoader {
    static func load(_ path: String, for graph: Graph) throws -> Tensor {
        if path.lowercased().hasSuffix(".png") {
            let dims = graph.feedInputs.first?.shape ?? []
            let h = dims.count == 4 ? dims[2].value ?? 224 : 224
            let w = dims.count == 4 ? dims[3].value ?? 224 : 224
            return ImagePreprocessing(height: h, width: w).tensor(from: try RGBImage.readPNG(path: path))
        }
        return try NPY.read(path: path)
    }
}
