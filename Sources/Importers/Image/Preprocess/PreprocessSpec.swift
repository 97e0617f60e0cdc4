/// How an image becomes a model input, in torchvision's order: optional resize, optional centre
/// crop, then `((pixel / scale) - mean) / std` per channel, optionally in BGR order.
///
/// - `resize`: nil keeps the image's size; one int sets the short side (torchvision `Resize(int)`),
///   `[h, w]` resizes to exactly that size. Resampling matches PIL's `Image.resize`.
/// - `crop`: a centre crop (torchvision `CenterCrop`: offsets `round((size - crop) / 2)`, ties to
///   even as Python's `round`); a crop larger than the image pads with zero pixels as torchvision does.
/// - `scale`: pixels are divided by it first (255 for [0, 1]; 1 keeps 0..255 units). 16-bit images
///   are first mapped to the 8-bit range as `v * 255 / 65535` (no rounding), so one spec serves both.
/// - `mean` / `std`: 1 value (every channel) or one per channel of the model input. When `bgr` is
///   true they are listed in the model's (BGR) order, as Keras' caffe preprocessing lists them.
/// - `bgr`: the channels are reversed (RGB -> BGR) before normalisation.
///
/// JSON (the documented ONNX metadata format, key `cfcam.preprocess`): `{"resize": 256 | [h, w],
/// "crop": 224 | [h, w], "interpolation": "bilinear", "scale": 255, "mean": [...], "std": [...],
/// "bgr": false}`. Every key is optional (defaults: no resize, no crop, bilinear, 255, [0], [1],
/// false); unknown keys are refused so that a misspelt key is not silently ignored.
public struct PreprocessSpec: Codable, Equatable, Sendable {
    public var resize: ImageSize?
    public var crop: ImageSize?
    public var interpolation: ResampleFilter
    public var scale: Float
    public var mean: [Float]
    public var std: [Float]
    public var bgr: Bool

    public init(resize: ImageSize? = nil, crop: ImageSize? = nil, interpolation: ResampleFilter = .bilinear,
                scale: Float = 255, mean: [Float] = [0], std: [Float] = [1], bgr: Bool = false) {
        self.resize = resize; self.crop = crop; self.interpolation = interpolation
        self.scale = scale; self.mean = mean; self.std = std; self.bgr = bgr
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case resize, crop, interpolation, scale, mean, std, bgr
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        let all = try decoder.container(keyedBy: AnyKey.self)
        if let bad = all.allKeys.first(where: { !known.contains($0.stringValue) }) {
            throw DecodingError.dataCorruptedError(
                forKey: bad, in: all,
                debugDescription: "unknown key (known: \(CodingKeys.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self.init()
        resize = try c.decodeIfPresent(ImageSize.self, forKey: .resize)
        crop = try c.decodeIfPresent(ImageSize.self, forKey: .crop)
        interpolation = try c.decodeIfPresent(ResampleFilter.self, forKey: .interpolation) ?? .bilinear
        scale = try c.decodeIfPresent(Float.self, forKey: .scale) ?? 255
        mean = try c.decodeIfPresent([Float].self, forKey: .mean) ?? [0]
        std = try c.decodeIfPresent([Float].self, forKey: .std) ?? [1]
        bgr = try c.decodeIfPresent(Bool.self, forKey: .bgr) ?? false
        if let problem = problem() {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: problem))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(resize, forKey: .resize)
        try c.encodeIfPresent(crop, forKey: .crop)
        try c.encode(interpolation, forKey: .interpolation)
        try c.encode(scale, forKey: .scale)
        try c.encode(mean, forKey: .mean)
        try c.encode(std, forKey: .std)
        try c.encode(bgr, forKey: .bgr)
    }

    /// What is wrong with the numbers, if anything: scale must be positive and finite, mean and
    /// std non-empty and finite, std without zeros.
    func problem() -> String? {
        guard scale.isFinite, scale > 0 else { return "scale \(scale) must be a positive number" }
        guard !mean.isEmpty, mean.allSatisfy(\.isFinite) else { return "mean must be one or more finite numbers" }
        guard !std.isEmpty, std.allSatisfy({ $0.isFinite && $0 != 0 }) else { return "std must be one or more finite, non-zero numbers" }
        return nil
    }

    /// This spec with command-line values put in place of its own. nil leaves a field as it is;
    /// `resize` / `crop` take `N`, `HxW` or `none` (no resize / no crop); `mean` / `std` take
    /// `a,b,c` (or one number); `interpolation` takes nearest, bilinear or bicubic. Errors name the flag.
    public func overriding(resize: String?, crop: String?, mean: String?, std: String?, interpolation: String?,
                           bgr: Bool?) throws -> PreprocessSpec {
        var s = self
        if let resize { s.resize = try Self.parseSize(resize, flag: "--resize") }
        if let crop { s.crop = try Self.parseSize(crop, flag: "--crop") }
        if let mean { s.mean = try Self.parseFloats(mean, flag: "--mean", nonZero: false) }
        if let std { s.std = try Self.parseFloats(std, flag: "--std", nonZero: true) }
        if let interpolation {
            guard let f = ResampleFilter(rawValue: interpolation.lowercased()) else {
                throw PreprocessError("--interpolation: '\(interpolation)' is not one of \(ResampleFilter.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            s.interpolation = f
        }
        if let bgr { s.bgr = bgr }
        return s
    }

    private static func parseSize(_ text: String, flag: String) throws -> ImageSize? {
        if text.lowercased() == "none" { return nil }
        do { return try ImageSize.parse(text) } catch let e as PreprocessError { throw PreprocessError("\(flag): \(e.message)") }
    }

    private static func parseFloats(_ text: String, flag: String, nonZero: Bool) throws -> [Float] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        var out: [Float] = []
        for p in parts {
            guard let v = Float(p.trimmingSpaces), v.isFinite, !(nonZero && v == 0) else {
                throw PreprocessError("\(flag): '\(text)' is not a comma-separated list of \(nonZero ? "non-zero " : "")numbers (e.g. 0.485,0.456,0.406)")
            }
            out.append(v)
        }
        return out
    }
}

/// A coding key for any string, used to list the keys a JSON object really has.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
