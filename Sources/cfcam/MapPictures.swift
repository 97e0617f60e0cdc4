import Graph
import Importers
import Methods

/// Pictures of one image's map: the map as a plane at the model input's resolution, drawn over
/// the original photo at the photo's own resolution (back through the crop and resize), or alone
/// for tensor inputs.
///
/// What is drawn: [0, 1] maps as they are (min-max, as pytorch-grad-cam's show_cam_on_image
/// sees them); signed relevance symmetrically around 0 (a diverging colormap by default); raw
/// gradients [C, H, W] as the sum over channels of |gradient|, min-maxed (Captum's
/// `visualize_image_attr` with sign "absolute_value").
enum MapPictures {
    static let signedDefault = "bwr"

    /// Image `row` of `map` as an [H, W] plane.
    static func plane(_ map: Tensor, row: Int, output: MethodRegistry.Output) throws -> (values: [Float], width: Int, height: Int) {
        let v = try map.floats()
        switch map.rank {
        case 3:
            let h = map.shape[1], w = map.shape[2]
            return (Array(v[(row * h * w)..<((row + 1) * h * w)]), w, h)
        case 4:
            let c = map.shape[1], h = map.shape[2], w = map.shape[3]
            var out = [Float](repeating: 0, count: h * w)
            let base = row * c * h * w
            for ch in 0..<c { for i in 0..<(h * w) { out[i] += abs(v[base + ch * h * w + i]) } }
            return (out, w, h)
        default:
            throw CLIError("a map of shape \(map.shape) is not [N, H, W] or [N, C, H, W]; cannot draw it")
        }
    }

    static func normalisation(_ output: MethodRegistry.Output) -> MapNormalisation {
        output == .relevance ? .symmetric : .minMax
    }

    /// The overlay of one plane on the input's photo (or the heatmap alone for a tensor input).
    static func picture(_ plane: (values: [Float], width: Int, height: Int), input: LoadedInput, output: MethodRegistry.Output,
                        colormap: Colormap, alpha: Float) throws -> PixelImage {
        guard let image = input.image, let geometry = input.geometry else {
            return try Overlay.heatmap(map: plane.values, width: plane.width, height: plane.height, colormap: colormap,
                                       normalisation: normalisation(output))
        }
        let full = geometry.mapToOriginal(plane.values, width: plane.width, height: plane.height)
        return try Overlay.render(image: image, map: full, colormap: colormap, alpha: alpha, normalisation: normalisation(output),
                                  dimOutside: geometry.seenRect)
    }
}
