/// How an embedding is compared with a reference embedding (`Target.similarity`).
public enum SimilarityMetric: String, Sendable, CaseIterable {
    /// e·r / (|e| |r|), as torch.nn.CosineSimilarity (pytorch-grad-cam's SimilarityToConceptTarget);
    /// norms below 1e-8 are clamped to 1e-8.
    case cosine
    /// e·r.
    case dot
    /// −|e − r| (negative Euclidean distance, so larger is more similar).
    case euclidean

    /// Score and d score / d e, computed in double precision.
    public func scoreAndGradient(_ e: [Float], _ r: [Float]) -> (Float, [Float]) {
        let n = min(e.count, r.count)
        switch self {
        case .dot:
            var s: Double = 0
            for i in 0..<n { s += Double(e[i]) * Double(r[i]) }
            return (Float(s), Array(r.prefix(n)))
        case .cosine:
            var dot: Double = 0, ee: Double = 0, rr: Double = 0
            for i in 0..<n { dot += Double(e[i]) * Double(r[i]); ee += Double(e[i]) * Double(e[i]); rr += Double(r[i]) * Double(r[i]) }
            let ne = max(ee.squareRoot(), 1e-8), nr = max(rr.squareRoot(), 1e-8)
            let s = dot / (ne * nr)
            // d/de (e·r / (|e||r|)) = r / (|e||r|) − s e / |e|²  (the clamped norm is constant there)
            let eTerm = ee.squareRoot() > 1e-8 ? s / (ne * ne) : 0
            let g = (0..<n).map { Float(Double(r[$0]) / (ne * nr) - eTerm * Double(e[$0])) }
            return (Float(s), g)
        case .euclidean:
            var d2: Double = 0
            for i in 0..<n { let d = Double(e[i]) - Double(r[i]); d2 += d * d }
            let d = d2.squareRoot()
            let g = (0..<n).map { d > 0 ? Float(-(Double(e[$0]) - Double(r[$0])) / d) : 0 }
            return (Float(-d), g)
        }
    }
}
