/// Localisation error from boxes (the ILSVRC protocol of CAM / Grad-CAM; docs/metrics.md): the
/// normalised map is thresholded at `threshold` · max, the bounding box of the largest
/// 8-connected component (ties: the first met in row-major order) is the predicted box, and the
/// image is localised when its IoU with some box of the explained class is >= 0.5. The value is
/// the error, 1 − localised: in `top1` mode it is also 1 when the model's top-1 class is not the
/// explained class; `gt-known` scores the box alone. Not applicable without such a box.
public struct LocalizationError: ExplanationMetric {
    public enum Mode: String, Sendable, CaseIterable { case gtKnown = "gt-known", top1 }
    public let threshold: Float
    public let mode: Mode
    public init(threshold: Float = 0.15, mode: Mode = .gtKnown) { self.threshold = threshold; self.mode = mode }
    public func forwards(height: Int, width: Int) -> Int { 0 }

    /// Bounding box (x0, y0, x1, y1; ends exclusive) of the largest 8-connected component of `mask`.
    public static func largestComponentBox(_ mask: [Bool], width: Int, height: Int) -> (x0: Int, y0: Int, x1: Int, y1: Int)? {
        var seen = [Bool](repeating: false, count: mask.count)
        var best: (size: Int, box: (Int, Int, Int, Int))?
        var stack: [Int] = []
        for s in mask.indices where mask[s] && !seen[s] {
            seen[s] = true; stack = [s]
            var size = 0, x0 = Int.max, y0 = Int.max, x1 = -1, y1 = -1
            while let p = stack.popLast() {
                size += 1
                let x = p % width, y = p / width
                x0 = min(x0, x); x1 = max(x1, x); y0 = min(y0, y); y1 = max(y1, y)
                for dy in -1...1 {
                    for dx in -1...1 where dx != 0 || dy != 0 {
                        let nx = x + dx, ny = y + dy
                        guard nx >= 0, ny >= 0, nx < width, ny < height else { continue }
                        let q = ny * width + nx
                        if mask[q] && !seen[q] { seen[q] = true; stack.append(q) }
                    }
                }
            }
            if size > (best?.size ?? 0) { best = (size, (x0, y0, x1 + 1, y1 + 1)) }
        }
        return best.map { (x0: $0.box.0, y0: $0.box.1, x1: $0.box.2, y1: $0.box.3) }
    }

    /// Intersection over union of two pixel rectangles (ends exclusive).
    public static func iou(_ a: (x0: Int, y0: Int, x1: Int, y1: Int), _ b: (x0: Int, y0: Int, x1: Int, y1: Int)) -> Double {
        let iw = max(0, min(a.x1, b.x1) - max(a.x0, b.x0)), ih = max(0, min(a.y1, b.y1) - max(a.y0, b.y0))
        let inter = Double(iw * ih)
        let union = Double((a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0)) - inter
        return union > 0 ? inter / union : 0
    }

    public func evaluate(_ sample: MetricSample, scorer: MetricScorer) throws -> Double? {
        let boxes = sample.classBoxes
        guard !boxes.isEmpty else { return nil }
        if mode == .top1, let c = sample.explainedClass, sample.predictedClass != c { return 1 }
        let l = sample.normalized
        let peak = l.max() ?? 0
        guard peak > 0 else { return 1 }
        let mask = l.map { $0 >= threshold * peak }
        guard let box = Self.largestComponentBox(mask, width: sample.width, height: sample.height) else { return 1 }
        return boxes.contains { Self.iou(box, $0) >= 0.5 } ? 0 : 1
    }
}
