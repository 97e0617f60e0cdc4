import Graph

/// torchvision SqueezeNet 1.0 and 1.1 (`torchvision/models/squeezenet.py`): Fire modules, ceil-mode
/// max pools, and a 1x1 conv classifier followed by ReLU, global average pool and flatten.
struct SqueezeNetSpec {
    var version11: Bool

    static let all: [String: SqueezeNetSpec] = ["squeezenet1_0": .init(version11: false), "squeezenet1_1": .init(version11: true)]

    /// Fire: squeeze 1x1 + ReLU, then ReLU(expand 1x1) and ReLU(expand 3x3) concatenated.
    private func fire(_ b: inout NetworkBuilder, _ p: String, _ x: String, _ cin: Int, _ squeeze: Int, _ expand: Int) -> String {
        let s = b.relu("\(p).squeeze_activation", b.conv("\(p).squeeze", x, cin, squeeze, kernel: 1, bias: true))
        let e1 = b.relu("\(p).expand1x1_activation", b.conv("\(p).expand1x1", s, squeeze, expand, kernel: 1, bias: true))
        let e3 = b.relu("\(p).expand3x3_activation", b.conv("\(p).expand3x3", s, squeeze, expand, kernel: 3, pad: 1, bias: true))
        return b.rename(b.concat("\(p).cat", [e1, e3]), to: p)
    }

    func build(_ b: inout NetworkBuilder, size: ArchitectureInputSize?) throws -> Graph {
        // Each entry: a max pool (nil) or a Fire module (in, squeeze, expand).
        let stack: [(Int, Int, Int)?] = version11
            ? [nil, (64, 16, 64), (128, 16, 64), nil, (128, 32, 128), (256, 32, 128), nil,
               (256, 48, 192), (384, 48, 192), (384, 64, 256), (512, 64, 256)]
            : [nil, (96, 16, 64), (128, 16, 64), (128, 32, 128), nil, (256, 32, 128), (256, 48, 192),
               (384, 48, 192), (384, 64, 256), nil, (512, 64, 256)]
        var x = version11
            ? b.conv("features.0", "input", 3, 64, kernel: 3, stride: 2, bias: true)
            : b.conv("features.0", "input", 3, 96, kernel: 7, stride: 2, bias: true)
        x = b.relu("features.1", x)
        for (k, entry) in stack.enumerated() {
            let name = "features.\(k + 2)"
            if let (cin, squeeze, expand) = entry {
                x = fire(&b, name, x, cin, squeeze, expand)
            } else {
                x = b.maxPool(name, x, kernel: 3, stride: 2, ceil: true)
            }
        }
        x = b.rename(x, to: "features")
        let classes = b.classes(from: "classifier.1.weight")
        x = b.relu("classifier.2", b.conv("classifier.1", x, 512, classes, kernel: 1, bias: true))
        x = b.rename(b.globalAvgPool("classifier.3", x), to: "classifier")
        x = b.flatten("flatten", x)
        return try b.finish(input: "input", height: size.heightDim, width: size.widthDim, output: x, classes: classes)
    }
}
