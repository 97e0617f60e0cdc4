import Graph

/// A fixed input image size for `Architectures.build`.
public struct ArchitectureInputSize: Sendable, Equatable {
    public var height: Int
    public var width: Int
    public init(height: Int, width: Int) { self.height = height; self.width = width }
}

extension Optional where Wrapped == ArchitectureInputSize {
    var heightDim: Dim { map { .fixed($0.height) } ?? .symbol("H") }
    var widthDim: Dim { map { .fixed($0.width) } ?? .symbol("W") }
}

/// Built-in torchvision architectures, built from a `state_dict` saved as `.npz`.
///
/// The graph reads "input" [N, 3, H, W] and produces "logits" [N, classes]; the number of classes
/// comes from the final layer's weight. Nodes are named by torchvision module paths
/// (`layer1.0.conv1`); a node's output value has the node's name, except that the value ending a
/// module is named after the outermost module it ends (`layer1.0`, `layer4`, `features`,
/// `features.denseblock1`). Initializers are named exactly like the state_dict keys;
/// `num_batches_tracked` entries are accepted and ignored.
///
/// AlexNet and VGG end their features with AdaptiveAvgPool2d; their input size is fixed when the
/// graph is built (224x224 unless given) and must yield a feature map that is a multiple of the
/// pooled grid. The other architectures accept any input size.
public enum Architectures {
    /// Every supported architecture name, sorted.
    public static let names: [String] = (Array(ResNetSpec.all.keys) + Array(VGGSpec.all.keys) + Array(DenseNetSpec.all.keys)
        + Array(SqueezeNetSpec.all.keys) + ["alexnet", "mobilenet_v2"]).sorted()

    /// Builds architecture `name` with `weights` (a torchvision `state_dict`); `file` names the
    /// weights in error messages. Missing, unexpected and mis-shaped keys are listed in one
    /// `WeightsMismatchError`.
    public static func build(_ name: String, weights: [String: Tensor], file: String,
                             inputSize: ArchitectureInputSize? = nil) throws -> Graph {
        if let s = inputSize, s.height < 1 || s.width < 1 {
            throw GraphError.inFile(path: file, underlying: .invalidShape("input size \(s.height)x\(s.width) must be positive"))
        }
        let fixedDefault = inputSize ?? ArchitectureInputSize(height: 224, width: 224)
        if let spec = ResNetSpec.all[name] {
            var b = NetworkBuilder(arch: name, file: file, weights: weights)
            return try spec.build(&b, size: inputSize)
        }
        if let spec = VGGSpec.all[name] {
            var b = NetworkBuilder(arch: name, file: file, weights: weights)
            return try spec.build(&b, size: fixedDefault)
        }
        if let spec = DenseNetSpec.all[name] {
            var b = NetworkBuilder(arch: name, file: file, weights: DenseNetSpec.modernize(weights))
            return try spec.build(&b, size: inputSize)
        }
        if let spec = SqueezeNetSpec.all[name] {
            var b = NetworkBuilder(arch: name, file: file, weights: weights)
            return try spec.build(&b, size: inputSize)
        }
        var b = NetworkBuilder(arch: name, file: file, weights: weights)
        switch name {
        case "alexnet": return try AlexNetSpec.build(&b, size: fixedDefault)
        case "mobilenet_v2": return try MobileNetV2Spec.build(&b, size: inputSize)
        default: throw ArchitectureError.unknown(name)
        }
    }

    /// Loads `ARCH:WEIGHTS.npz` (e.g. `resnet18:weights/resnet18.npz`): reads the archive and builds
    /// the architecture from it.
    public static func load(spec: String, inputSize: ArchitectureInputSize? = nil) throws -> Graph {
        guard let colon = spec.firstIndex(of: ":"), colon != spec.startIndex, spec.index(after: colon) != spec.endIndex else {
            throw ArchitectureError.badSpec(spec)
        }
        let arch = String(spec[..<colon]), path = String(spec[spec.index(after: colon)...])
        guard names.contains(arch) else { throw ArchitectureError.unknown(arch) }
        return try build(arch, weights: NPZ.read(path: path), file: path, inputSize: inputSize)
    }
}

/// Errors choosing a built-in architecture.
public enum ArchitectureError: Error, Equatable, CustomStringConvertible, LocalizedErrorLike {
    case unknown(String)
    case badSpec(String)

    public var description: String {
        switch self {
        case .unknown(let n):
            return "unknown architecture '\(n)'; known: \(Architectures.names.joined(separator: ", "))"
        case .badSpec(let s):
            return "'\(s)' is not of the form ARCH:WEIGHTS.npz (e.g. resnet18:resnet18.npz); architectures: "
                + Architectures.names.joined(separator: ", ")
        }
    }
}
