import Graph

/// Decoded pixels, before any preprocessing: what an image file holds, in its own resolution.
///
/// Samples are interleaved and row-major (`(y * width + x) * channels + c`), 1 channel (grey) or
/// 3 (RGB; alpha is dropped by the decoders), at 8 or 16 bits per sample. 16-bit samples keep their
/// full range (0...65535): they are scaled, never gamma-converted, when turned into floats.
public struct PixelImage: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// 1 (grey) or 3 (RGB).
    public let channels: Int
    /// Bits per sample: 8 or 16.
    public let depth: Int
    /// `width * height * channels` samples in `0...maxValue`.
    public let samples: [UInt16]

    public init(width: Int, height: Int, channels: Int, depth: Int, samples: [UInt16]) throws {
        guard width > 0, height > 0 else { throw GraphError.invalidShape("image size \(width)x\(height) must be positive") }
        guard channels == 1 || channels == 3 else { throw GraphError.invalidShape("an image has 1 or 3 channels, got \(channels)") }
        guard depth == 8 || depth == 16 else { throw GraphError.invalidShape("an image has 8 or 16 bits per sample, got \(depth)") }
        guard samples.count == width * height * channels else {
            throw GraphError.invalidShape("\(width)x\(height)x\(channels) image needs \(width * height * channels) samples, got \(samples.count)")
        }
        self.width = width; self.height = height; self.channels = channels; self.depth = depth; self.samples = samples
    }

    /// An 8-bit image from bytes (interleaved, row-major).
    public init(width: Int, height: Int, channels: Int, bytes: [UInt8]) throws {
        try self.init(width: width, height: height, channels: channels, depth: 8, samples: bytes.map(UInt16.init))
    }

    /// 255 or 65535.
    public var maxValue: Int { (1 << depth) - 1 }

    /// The sample at (x, y, c).
    @inline(__always) public func sample(_ x: Int, _ y: Int, _ c: Int) -> UInt16 { samples[(y * width + x) * channels + c] }
}
