import Graph

/// A ground-truth box in model-input pixels: columns `x0 ..< x1`, rows `y0 ..< y1` (right and bottom
/// edges exclusive), and the class of the object it surrounds (nil: unlabelled, counts for any class).
public struct MetricBox: Sendable, Equatable {
    public var label: Int?
    public var x0: Double, y0: Double, x1: Double, y1: Double

    public init(label: Int?, x0: Double, y0: Double, x1: Double, y1: Double) {
        self.label = label; self.x0 = x0; self.y0 = y0; self.x1 = x1; self.y1 = y1
    }

    /// The whole pixels the box covers in an image of `width` x `height`: edges rounded to the
    /// nearest pixel boundary and clipped; nil when nothing is left (a box the crop cut off).
    public func pixels(width: Int, height: Int) -> (x0: Int, y0: Int, x1: Int, y1: Int)? {
        func clip(_ v: Double, _ n: Int) -> Int { v.isFinite ? min(max(Int(v.rounded()), 0), n) : 0 }
        let a = clip(x0, width), b = clip(y0, height), c = clip(x1, width), d = clip(y1, height)
        return c > a && d > b ? (a, b, c, d) : nil
    }
}

/// One explained image, what every metric reads: the input the model saw, the saliency map at the
/// input's resolution, the resolved target (its class and score function), the model's top-1 class
/// and the ground-truth boxes.
public struct MetricSample: Sendable {
    /// The (normalised) input [1, C, H, W].
    public let input: Tensor
    /// The saliency, H * W values row-major, as the method returned it (any range, may be signed).
    public let saliency: [Float]
    public let height: Int, width: Int
    public let target: ResolvedTarget
    /// The value the target reads (nil: the model's explained output).
    public let output: String?
    /// The class the boxes are matched against: the target's class, else the manifest label.
    public let explainedClass: Int?
    /// The model's top-1 class on the clean input (localisation's top-1 mode).
    public let predictedClass: Int?
    public let boxes: [MetricBox]
    /// Seeds the metric's random draws (ROAD's noise, the random-map baseline) for this image.
    public let seed: UInt64

    /// `map`: [H, W], [1, H, W], [1, 1, H, W], or a gradient [1, C, H, W] (reduced to Σ_c |g_c|)
    /// whose height and width equal the input's.
    public init(input: Tensor, map: Tensor, target: ResolvedTarget, output: String? = nil, explainedClass: Int? = nil,
                predictedClass: Int? = nil, boxes: [MetricBox] = [], seed: UInt64 = 0) throws {
        guard input.rank == 4, input.shape[0] == 1, input.shape[2] > 0, input.shape[3] > 0 else {
            throw ExplainError("metrics take one image [1, C, H, W], got \(input.shape)")
        }
        let h = input.shape[2], w = input.shape[3]
        let s = map.shape
        let values = try map.floats()
        var plane: [Float]
        switch s.count {
        case 2 where s == [h, w], 3 where s == [1, h, w]: plane = values
        case 4 where s[0] == 1 && s[1] == 1 && s[2] == h && s[3] == w: plane = values
        case 4 where s[0] == 1 && s[2] == h && s[3] == w:
            plane = [Float](repeating: 0, count: h * w)
            for c in 0..<s[1] { for i in 0..<(h * w) { plane[i] += abs(values[c * h * w + i]) } }
        default:
            throw ExplainError("a saliency map for an input of \(h)x\(w) must be [\(h), \(w)] (or [1, \(h), \(w)], [1, C, \(h), \(w)]), got \(s)")
        }
        guard plane.allSatisfy(\.isFinite) else { throw ExplainError("the saliency map has non-finite values (NaN or infinity)") }
        self.input = input; self.saliency = plane; self.height = h; self.width = w
        self.target = target; self.output = output
        self.explainedClass = target.classIndex ?? explainedClass
        self.predictedClass = predictedClass; self.boxes = boxes; self.seed = seed
    }

    /// The same image with another map (the random-map baseline).
    public func with(saliency plane: [Float]) throws -> MetricSample {
        try MetricSample(input: input, map: Tensor(unchecked: [height, width], floats: plane), target: target, output: output,
                         explainedClass: explainedClass, predictedClass: predictedClass, boxes: boxes, seed: seed)
    }

    /// The boxes of the explained class (all boxes when the class or a box's label is unknown),
    /// as clipped whole-pixel rectangles.
    public var classBoxes: [(x0: Int, y0: Int, x1: Int, y1: Int)] {
        boxes.filter { b in explainedClass == nil || b.label == nil || b.label == explainedClass }
            .compactMap { $0.pixels(width: width, height: height) }
    }

    /// minmax(map) = (m − min) / (max − min + 1e-7), all zeros when max − min < 1e-12 (the
    /// pytorch-grad-cam convention of docs/metrics.md).
    public var normalized: [Float] {
        guard let lo = saliency.min(), let hi = saliency.max(), hi - lo >= 1e-12 else {
            return [Float](repeating: 0, count: saliency.count)
        }
        let d = (hi - lo) + 1e-7
        return saliency.map { ($0 - lo) / d }
    }

    /// The union of the class boxes as an H * W mask (nil: no box of the class in the image).
    public var classMask: [Bool]? {
        let rects = classBoxes
        guard !rects.isEmpty else { return nil }
        var m = [Bool](repeating: false, count: height * width)
        for r in rects { for y in r.y0..<r.y1 { for x in r.x0..<r.x1 { m[y * width + x] = true } } }
        return m
    }
}
