import Graph

/// torchvision ResNet family (`torchvision/models/resnet.py`): BasicBlock and Bottleneck (v1.5,
/// stride on the 3x3 conv), including ResNeXt and wide ResNet variants.
struct ResNetSpec {
    var bottleneck: Bool
    var layers: [Int]
    var groups = 1
    var widthPerGroup = 64

    static let all: [String: ResNetSpec] = [
        "resnet18": .init(bottleneck: false, layers: [2, 2, 2, 2]),
        "resnet34": .init(bottleneck: false, layers: [3, 4, 6, 3]),
        "resnet50": .init(bottleneck: true, layers: [3, 4, 6, 3]),
        "resnet101": .init(bottleneck: true, layers: [3, 4, 23, 3]),
        "resnet152": .init(bottleneck: true, layers: [3, 8, 36, 3]),
        "resnext50_32x4d": .init(bottleneck: true, layers: [3, 4, 6, 3], groups: 32, widthPerGroup: 4),
        "wide_resnet50_2": .init(bottleneck: true, layers: [3, 4, 6, 3], widthPerGroup: 128),
    ]

    func build(_ b: inout NetworkBuilder, size: ArchitectureInputSize?) throws -> Graph {
        let expansion = bottleneck ? 4 : 1
        var x = b.conv("conv1", "input", 3, 64, kernel: 7, stride: 2, pad: 3, bias: false)
        x = b.batchNorm("bn1", x, 64)
        x = b.relu("relu", x)
        x = b.maxPool("maxpool", x, kernel: 3, stride: 2, pad: 1)
        var inplanes = 64
        for (li, blocks) in layers.enumerated() {
            let planes = 64 << li
            let layer = "layer\(li + 1)"
            for bi in 0..<blocks {
                let stride = bi == 0 && li > 0 ? 2 : 1
                let p = "\(layer).\(bi)"
                var identity = x
                if stride != 1 || inplanes != planes * expansion {
                    var d = b.conv("\(p).downsample.0", x, inplanes, planes * expansion, kernel: 1, stride: stride, bias: false)
                    d = b.batchNorm("\(p).downsample.1", d, planes * expansion)
                    identity = b.rename(d, to: "\(p).downsample")
                }
                var y: String
                if bottleneck {
                    let width = planes * widthPerGroup / 64 * groups
                    y = b.conv("\(p).conv1", x, inplanes, width, kernel: 1, bias: false)
                    y = b.relu("\(p).relu", b.batchNorm("\(p).bn1", y, width))
                    y = b.conv("\(p).conv2", y, width, width, kernel: 3, stride: stride, pad: 1, groups: groups, bias: false)
                    y = b.relu("\(p).relu_1", b.batchNorm("\(p).bn2", y, width))
                    y = b.conv("\(p).conv3", y, width, planes * 4, kernel: 1, bias: false)
                    y = b.batchNorm("\(p).bn3", y, planes * 4)
                    y = b.relu("\(p).relu_2", b.add("\(p).add", y, identity))
                } else {
                    y = b.conv("\(p).conv1", x, inplanes, planes, kernel: 3, stride: stride, pad: 1, bias: false)
                    y = b.relu("\(p).relu", b.batchNorm("\(p).bn1", y, planes))
                    y = b.conv("\(p).conv2", y, planes, planes, kernel: 3, pad: 1, bias: false)
                    y = b.batchNorm("\(p).bn2", y, planes)
                    y = b.relu("\(p).relu_1", b.add("\(p).add", y, identity))
                }
                inplanes = planes * expansion
                x = b.rename(y, to: bi == blocks - 1 ? layer : p)
            }
        }
        x = b.flatten("flatten", b.globalAvgPool("avgpool", x))
        let classes = b.classes(from: "fc.weight")
        x = b.linear("fc", x, 512 * expansion, classes)
        return try b.finish(input: "input", height: size.heightDim, width: size.widthDim, output: x, classes: classes)
    }
}
