import Graph

/// Test-time augmentation smoothing around any explanation method: pytorch-grad-cam's
/// `aug_smooth=True` (`BaseCAM.forward_augmentation_smoothing`, ttach
/// `Compose([HorizontalFlip(), Multiply(factors: [0.9, 1, 1.1])])`; docs/methods.md,
/// "Smoothing any method").
///
/// Per image, six augmented copies of the (normalised) input are explained: every pair of
/// {as is, mirrored along W} and {× 0.9, × 1, × 1.1} (the flip first, then the factor, in float32).
/// Each map is de-augmented (a mirrored copy's map is mirrored back; ttach leaves a mask of
/// `Multiply` as it is) and the six are averaged.
///
/// Choices:
/// - The target is fixed per image on the un-augmented image before augmenting: `top1` becomes
///   the image's class (`contrastAll` without a class: the image's top-1 against all), so every
///   copy explains the same class (otherwise a flip could change it). pytorch-grad-cam resolves
///   `targets=None` on each augmented batch instead; with explicit class targets the two agree.
///   A function target keeps seeing the image's own index.
/// - pytorch-grad-cam does not min-max the mean: the average of [0, 1] maps stays in [0, 1] but
///   need not reach 0 or 1 (`renormalise: false`, what `wrap` chooses for every output kind:
///   [0, 1] maps to match pytorch-grad-cam, signed relevance and raw gradients because a min-max
///   would destroy their scale). `renormalise: true` min-maxes each averaged [N, H, W] map
///   (δ = 1e-7) as `SmoothedMethod` does.
/// - Maps of any shape whose last axis is the input's W are accepted ([N, H, W] maps, [N, C, H, W]
///   gradients); a gradient of a mirrored copy is mirrored back but, as ttach treats masks, not
///   rescaled by the factor.
///
/// Cost: 6 times the base method's, one request of 6 rows per image.
public struct AugmentedMethod: ExplanationMethod {
    public var base: any ExplanationMethod
    /// Min-max each averaged map again (only for [N, H, W] maps).
    public var renormalise: Bool

    /// The augmentations, in ttach's order: (mirror along W, factor).
    public static let augmentations: [(flip: Bool, factor: Float)] =
        [false, true].flatMap { f in [Float(0.9), 1, 1.1].map { (flip: f, factor: $0) } }

    public init(base: any ExplanationMethod, renormalise: Bool) {
        self.base = base; self.renormalise = renormalise
    }

    /// `method` (an instance of `entry`) with augmentation smoothing, `renormalise` chosen from
    /// the entry's output: false for every output (see the type's comment).
    public static func wrap(_ method: any ExplanationMethod, entry: MethodRegistry.Entry) -> any ExplanationMethod {
        switch entry.output {
        case .map: return AugmentedMethod(base: method, renormalise: false)   // pytorch-grad-cam's mean, as is
        case .relevance, .gradient: return AugmentedMethod(base: method, renormalise: false)
        }
    }

    public func explain(_ request: ExplainRequest, model: ExplainModel) throws -> Tensor {
        let (n, _, w) = try request.inputSize()
        let per = request.input.count / n
        let x = try request.input.floats()
        let shape = Array(request.input.shape.dropFirst())
        let copies = Self.augmentations.count
        var out: [Float] = []
        var mapShape: [Int] = []
        for b in 0..<n {
            let image = Array(x[(b * per)..<((b + 1) * per)])
            let clean = Tensor(unchecked: [1] + shape, floats: image)
            var rows = [Float]()
            rows.reserveCapacity(copies * per)
            for aug in Self.augmentations {
                let flipped = aug.flip ? Self.mirrored(image, width: w) : image
                rows += flipped.map { $0 * aug.factor }
            }
            var r = request
            r.input = Tensor(unchecked: [copies] + shape, floats: rows)
            r.target = try Self.fixed(request.target, image: b, clean: clean, model: model)
            let maps = try base.explain(r, model: model)
            guard maps.rank >= 2, maps.shape[0] == copies, maps.shape.last == w else {
                throw ExplainError("augmentation smoothing: the method returned \(maps.shape) for \(copies) inputs of width \(w); it needs maps whose last axis is the input's width")
            }
            let values = try maps.floats()
            let size = values.count / copies
            var sum = [Double](repeating: 0, count: size)
            for (i, aug) in Self.augmentations.enumerated() {
                var m = Array(values[(i * size)..<((i + 1) * size)])
                if aug.flip { m = Self.mirrored(m, width: w) }
                for j in 0..<size { sum[j] += Double(m[j]) }
            }
            var mean = sum.map { Float($0 / Double(copies)) }
            mapShape = Array(maps.shape.dropFirst())
            if renormalise {
                guard mapShape.count == 2 else {
                    throw ExplainError("augmentation smoothing: renormalise applies to [N, H, W] maps, the method returned \(maps.shape)")
                }
                mean = try MapBatch(n: 1, h: mapShape[0], w: mapShape[1], values: mean).minmax().values
            }
            out += mean
        }
        return try Tensor(shape: [n] + mapShape, floats: out)
    }

    /// `values` (rows of `width` along the last axis) mirrored along that axis.
    static func mirrored(_ values: [Float], width: Int) -> [Float] {
        var out = values
        for row in stride(from: 0, to: values.count, by: width) {
            for i in 0..<width { out[row + i] = values[row + width - 1 - i] }
        }
        return out
    }

    /// The target for image `b`'s copies: one class fixed on the clean image where the target
    /// would otherwise pick it per row; a function target sees index `b`.
    static func fixed(_ target: Target, image b: Int, clean: Tensor, model: ExplainModel) throws -> Target {
        func top() throws -> Int {
            let z = try model.forward(clean, output: target.output).floats()
            guard !z.isEmpty else { throw ExplainError("the model produced no scores") }
            return OutputRows.argmax(z)
        }
        switch target.kind {
        case .top1: return Target(.classIndex(try top()), output: target.output)
        case .contrastAll(nil): return Target(.contrastAll(try top()), output: target.output)
        case .function(let f):
            return Target(.function(ScalarFunction(name: f.name) { v, _ in try f.evaluate(v, b) }), output: target.output)
        default: return target
        }
    }
}
