import Graph

/// torchvision DenseNet (`torchvision/models/densenet.py`). Each dense layer reads the channel
/// concatenation of the block input and every earlier layer's output; the graph builds that
/// concatenation incrementally (`features.denseblockB.cat_L` holds the input of layer L+1), which
/// gives the same values as torchvision's `torch.cat(features, 1)`.
struct DenseNetSpec {
    var growth: Int
    var blocks: [Int]
    var initFeatures: Int
    var bnSize = 4

    static let all: [String: DenseNetSpec] = [
        "densenet121": .init(growth: 32, blocks: [6, 12, 24, 16], initFeatures: 64),
        "densenet161": .init(growth: 48, blocks: [6, 12, 36, 24], initFeatures: 96),
        "densenet169": .init(growth: 32, blocks: [6, 12, 32, 32], initFeatures: 64),
        "densenet201": .init(growth: 32, blocks: [6, 12, 48, 32], initFeatures: 64),
    ]

    /// Renames keys of the original torchvision checkpoints ("denselayer1.norm.1.weight") to the
    /// current module names ("denselayer1.norm1.weight"), as torchvision's `_load_state_dict` does.
    static func modernize(_ weights: [String: Tensor]) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (k, v) in weights {
            var key = k
            if key.contains("denselayer") {
                for part in ["norm", "relu", "conv"] {
                    for n in ["1", "2"] { key = key.replacing(".\(part).\(n).", with: ".\(part)\(n).") }
                }
            }
            out[key] = v
        }
        return out
    }

    func build(_ b: inout NetworkBuilder, size: ArchitectureInputSize?) throws -> Graph {
        var x = b.conv("features.conv0", "input", 3, initFeatures, kernel: 7, stride: 2, pad: 3, bias: false)
        x = b.relu("features.relu0", b.batchNorm("features.norm0", x, initFeatures))
        x = b.maxPool("features.pool0", x, kernel: 3, stride: 2, pad: 1)
        var channels = initFeatures
        for (bi, layers) in blocks.enumerated() {
            let block = "features.denseblock\(bi + 1)"
            for li in 1...layers {
                let p = "\(block).denselayer\(li)"
                let mid = bnSize * growth
                var y = b.relu("\(p).relu1", b.batchNorm("\(p).norm1", x, channels))
                y = b.conv("\(p).conv1", y, channels, mid, kernel: 1, bias: false)
                y = b.relu("\(p).relu2", b.batchNorm("\(p).norm2", y, mid))
                y = b.conv("\(p).conv2", y, mid, growth, kernel: 3, pad: 1, bias: false)
                x = b.concat("\(block).cat_\(li)", [x, b.rename(y, to: p)])
                channels += growth
            }
            x = b.rename(x, to: block)
            if bi != blocks.count - 1 {
                let t = "features.transition\(bi + 1)"
                x = b.relu("\(t).relu", b.batchNorm("\(t).norm", x, channels))
                x = b.conv("\(t).conv", x, channels, channels / 2, kernel: 1, bias: false)
                x = b.rename(b.avgPool("\(t).pool", x, kernel: [2, 2], stride: [2, 2]), to: t)
                channels /= 2
            }
        }
        x = b.rename(b.batchNorm("features.norm5", x, channels), to: "features")
        x = b.globalAvgPool("adaptive_avg_pool2d", b.relu("relu", x))
        x = b.flatten("flatten", x)
        let classes = b.classes(from: "classifier.weight")
        x = b.linear("classifier", x, channels, classes)
        return try b.finish(input: "input", height: size.heightDim, width: size.widthDim, output: x, classes: classes)
    }
}
