/// A size for Resize/Crop: one int (short side for resize, square for crop) or explicit height x width.
///
/// JSON form: `256` (one number) or `[height, width]`. Command-line form: `"256"` or `"224x320"`
/// (height x width).
public enum ImageSize: Codable, Equatable, Sendable {
    case shortSide(Int), exact(height: Int, width: Int)

    /// Parses `"256"` or `"224x320"` (height x width); every number must be a positive integer.
    public static func parse(_ s: String) throws -> ImageSize {
        let parts = s.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "x" || $0 == "X" })
        let numbers = parts.compactMap { Int($0.trimmingSpaces) }.filter { $0 > 0 && $0 <= maxSide }
        guard (1...2).contains(parts.count), numbers.count == parts.count else {
            throw PreprocessError("size '\(s)' is not N or HxW (positive integers up to \(maxSide), e.g. 256 or 224x320)")
        }
        return numbers.count == 1 ? .shortSide(numbers[0]) : .exact(height: numbers[0], width: numbers[1])
    }

    /// The largest side accepted anywhere (keeps sizes and their products far from overflow).
    static let maxSide = 1 << 15

    /// The crop size this value stands for: one int is a square.
    var cropSize: (height: Int, width: Int) {
        switch self {
        case .shortSide(let n): return (n, n)
        case .exact(let h, let w): return (h, w)
        }
    }

    /// The size a resize to this value gives an image of `width` x `height`. One int sets the
    /// short side and scales the long side as torchvision does: `int(short * long / short_orig)`
    /// (truncated, not rounded); for a square image both sides take the value.
    func resized(width: Int, height: Int) -> (height: Int, width: Int) {
        switch self {
        case .exact(let h, let w): return (h, w)
        case .shortSide(let n):
            let (short, long) = width <= height ? (width, height) : (height, width)
            let newLong = Int(Double(n * long) / Double(short))
            return width <= height ? (newLong, n) : (n, newLong)
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Int.self) {
            guard n > 0, n <= Self.maxSide else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "size \(n) must be in 1...\(Self.maxSide)")
            }
            self = .shortSide(n)
            return
        }
        guard let hw = try? c.decode([Int].self), hw.count == 2, hw.allSatisfy({ $0 > 0 && $0 <= Self.maxSide }) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "a size is one positive integer or [height, width]")
        }
        self = .exact(height: hw[0], width: hw[1])
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .shortSide(let n): try c.encode(n)
        case .exact(let h, let w): try c.encode([h, w])
        }
    }
}

extension Substring {
    /// The text without leading and trailing spaces and tabs.
    var trimmingSpaces: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
