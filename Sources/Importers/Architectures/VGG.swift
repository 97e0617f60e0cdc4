import Graph

/// torchvision VGG (`torchvision/models/vgg.py`) and AlexNet (`alexnet.py`): a conv feature stack,
/// AdaptiveAvgPool2d to a fixed grid, and a three-layer classifier (dropout omitted: inference).
struct VGGSpec {
    /// Channel counts, 0 for a max pool ("M").
    var config: [Int]
    var batchNorm: Bool

    static let a = [64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0]
    static let b = [64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0]
    static let d = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0]
    static let e = [64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0]
    static let all: [String: VGGSpec] = [
        "vgg11": .init(config: a, batchNorm: false), "vgg11_bn": .init(config: a, batchNorm: true),
        "vgg13": .init(config: b, batchNorm: false), "vgg13_bn": .init(config: b, batchNorm: true),
        "vgg16": .init(config: d, batchNorm: false), "vgg16_bn": .init(config: d, batchNorm: true),
        "vgg19": .init(config: e, batchNorm: false), "vgg19_bn": .init(config: e, batchNorm: true),
    ]

    func build(_ b: inout NetworkBuilder, size: ArchitectureInputSize) throws -> Graph {
        var x = "input", cin = 3, i = 0
        var h = size.height, w = size.width
        for v in config {
            if v == 0 {
                x = b.maxPool("features.\(i)", x, kernel: 2, stride: 2); i += 1
                h = h / 2; w = w / 2
            } else {
                x = b.conv("features.\(i)", x, cin, v, kernel: 3, pad: 1, bias: true); i += 1
                if batchNorm { x = b.batchNorm("features.\(i)", x, v); i += 1 }
                x = b.relu("features.\(i)", x); i += 1
                cin = v
            }
        }
        x = b.rename(x, to: "features")
        x = try adaptiveAvgPool(&b, "avgpool", x, from: (h, w), to: 7, input: size)
        x = b.flatten("flatten", x)
        x = b.relu("classifier.1", b.linear("classifier.0", x, 512 * 7 * 7, 4096))
        x = b.relu("classifier.4", b.linear("classifier.3", x, 4096, 4096))
        let classes = b.classes(from: "classifier.6.weight")
        x = b.linear("classifier.6", x, 4096, classes)
        return try b.finish(input: "input", height: .fixed(size.height), width: .fixed(size.width), output: x, classes: classes)
    }
}

/// torchvision AlexNet.
enum AlexNetSpec {
    static func build(_ b: inout NetworkBuilder, size: ArchitectureInputSize) throws -> Graph {
        func out(_ n: Int, _ k: Int, _ s: Int, _ p: Int) -> Int { (n + 2 * p - k) / s + 1 }
        var h = size.height, w = size.width
        var x = b.relu("features.1", b.conv("features.0", "input", 3, 64, kernel: 11, stride: 4, pad: 2, bias: true))
        h = out(h, 11, 4, 2); w = out(w, 11, 4, 2)
        x = b.maxPool("features.2", x, kernel: 3, stride: 2)
        h = out(h, 3, 2, 0); w = out(w, 3, 2, 0)
        x = b.relu("features.4", b.conv("features.3", x, 64, 192, kernel: 5, pad: 2, bias: true))
        x = b.maxPool("features.5", x, kernel: 3, stride: 2)
        h = out(h, 3, 2, 0); w = out(w, 3, 2, 0)
        x = b.relu("features.7", b.conv("features.6", x, 192, 384, kernel: 3, pad: 1, bias: true))
        x = b.relu("features.9", b.conv("features.8", x, 384, 256, kernel: 3, pad: 1, bias: true))
        x = b.relu("features.11", b.conv("features.10", x, 256, 256, kernel: 3, pad: 1, bias: true))
        x = b.rename(b.maxPool("features.12", x, kernel: 3, stride: 2), to: "features")
        h = out(h, 3, 2, 0); w = out(w, 3, 2, 0)
        x = try adaptiveAvgPool(&b, "avgpool", x, from: (h, w), to: 6, input: size)
        x = b.flatten("flatten", x)
        x = b.relu("classifier.2", b.linear("classifier.1", x, 256 * 6 * 6, 4096))
        x = b.relu("classifier.5", b.linear("classifier.4", x, 4096, 4096))
        let classes = b.classes(from: "classifier.6.weight")
        x = b.linear("classifier.6", x, 4096, classes)
        return try b.finish(input: "input", height: .fixed(size.height), width: .fixed(size.width), output: x, classes: classes)
    }
}

/// AdaptiveAvgPool2d((n, n)) on a feature map of known size: an AveragePool when the size is a
/// multiple of n (kernel 1, an identity, at the usual 224x224 input); other sizes are refused.
func adaptiveAvgPool(_ b: inout NetworkBuilder, _ name: String, _ x: String, from map: (Int, Int), to n: Int,
                     input: ArchitectureInputSize) throws -> String {
    let (h, w) = map
    guard h >= n, w >= n, h % n == 0, w % n == 0 else {
        throw GraphError.inFile(path: b.file, underlying: .invalidShape(
            "\(b.arch): input \(input.height)x\(input.width) gives a \(h)x\(w) feature map; AdaptiveAvgPool2d((\(n), \(n))) "
            + "is supported only when the map is a multiple of \(n) in each direction (the usual input is 224x224)"))
    }
    return b.avgPool(name, x, kernel: [h / n, w / n], stride: [h / n, w / n])
}
