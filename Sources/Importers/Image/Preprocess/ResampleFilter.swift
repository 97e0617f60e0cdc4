/// The resampling filter of a resize, with the names torchvision's `InterpolationMode` uses.
///
/// The kernels are PIL's: `bilinear` is the triangle filter (support 1), `bicubic` the cubic
/// convolution kernel with a = -0.5 (support 2). When shrinking, both are widened by the
/// downscale factor (antialiasing, as PIL always does). `nearest` picks one source pixel.
public enum ResampleFilter: String, CaseIterable, Codable, Sendable {
    case nearest, bilinear, bicubic

    /// Half-width of the kernel at scale 1 (nearest is handled separately).
    var support: Double {
        switch self {
        case .nearest: return 0.5
        case .bilinear: return 1
        case .bicubic: return 2
        }
    }

    /// The kernel's weight at distance `x` (in source pixels at scale 1).
    func weight(_ x: Double) -> Double {
        let x = abs(x)
        switch self {
        case .nearest:
            return x <= 0.5 ? 1 : 0
        case .bilinear:
            return x < 1 ? 1 - x : 0
        case .bicubic:
            let a = -0.5
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        }
    }
}
