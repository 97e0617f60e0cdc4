/// Named preprocessing recipes of the common model zoos, for a model whose input is `s` x `s`.
///
/// - `imagenet` (torchvision classifiers): resize the short side to `round(s * 256 / 224)` (256 for
///   s = 224), centre crop `s`, bilinear, /255, ImageNet mean and std.
/// - `inception` (Keras Inception / Xception / MobileNet / EfficientNetV2 "tf" mode): resize to
///   exactly `s` x `s` (bilinear), then `x / 127.5 - 1`.
/// - `caffe` (Keras VGG / ResNet50 "caffe" mode): the imagenet resize and crop, 0..255 units, BGR,
///   mean `[103.939, 116.779, 123.68]` (listed in BGR order), std 1.
/// - `unit`: resize to exactly `s` x `s`, [0, 1].
/// - `none`: resize to exactly `s` x `s`, 0..255 units, no normalisation.
///
/// A model with free height and width (`inputSize` nil) gets no resize and no crop with every
/// preset: the image is fed at its own size, only scaled and normalised.
public enum PreprocessPreset {
    private struct Entry {
        let name: String
        let make: (Int?) -> PreprocessSpec
    }

    private static let imagenetMean: [Float] = [0.485, 0.456, 0.406]
    private static let imagenetStd: [Float] = [0.229, 0.224, 0.225]

    /// torchvision's classification resize for crop `s`: short side round(s * 256 / 224).
    private static func shortSide(for s: Int) -> Int { Int((Double(s) * 256 / 224).rounded()) }

    private static let table: [Entry] = [
        Entry(name: "imagenet") { s in
            PreprocessSpec(resize: s.map { .shortSide(shortSide(for: $0)) }, crop: s.map { .shortSide($0) },
                           interpolation: .bilinear, scale: 255, mean: imagenetMean, std: imagenetStd)
        },
        Entry(name: "inception") { s in
            PreprocessSpec(resize: s.map { .exact(height: $0, width: $0) }, interpolation: .bilinear,
                           scale: 127.5, mean: [1], std: [1])
        },
        Entry(name: "caffe") { s in
            PreprocessSpec(resize: s.map { .shortSide(shortSide(for: $0)) }, crop: s.map { .shortSide($0) },
                           interpolation: .bilinear, scale: 1, mean: [103.939, 116.779, 123.68], std: [1], bgr: true)
        },
        Entry(name: "unit") { s in
            PreprocessSpec(resize: s.map { .exact(height: $0, width: $0) }, scale: 255, mean: [0], std: [1])
        },
        Entry(name: "none") { s in
            PreprocessSpec(resize: s.map { .exact(height: $0, width: $0) }, scale: 1, mean: [0], std: [1])
        },
    ]

    /// The preset names, in the table's order.
    public static var names: [String] { table.map(\.name) }

    /// The spec of preset `named` for a square input of side `inputSize` (nil: free height/width).
    public static func spec(named: String, inputSize: Int?) throws -> PreprocessSpec {
        guard let e = table.first(where: { $0.name == named.lowercased() }) else {
            throw PreprocessError("unknown preprocessing preset '\(named)' (known: \(names.joined(separator: ", ")))")
        }
        if let s = inputSize, s <= 0 || s > ImageSize.maxSide {
            throw PreprocessError("preset '\(named)': input size \(s) is out of range (1...\(ImageSize.maxSide))")
        }
        return e.make(inputSize)
    }
}
