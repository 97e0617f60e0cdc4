import Graph

/// torchvision MobileNetV2 (`torchvision/models/mobilenetv2.py`, width 1.0): ReLU6 as Clip(0, 6),
/// inverted residual blocks with a skip connection when stride is 1 and channels are unchanged.
enum MobileNetV2Spec {
    /// (expand ratio t, output channels c, repeats n, first stride s).
    static let settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]

    /// Conv2dNormActivation: conv (no bias), BatchNorm, ReLU6; returns the value named `name`.
    private static func convBNReLU6(_ b: inout NetworkBuilder, _ name: String, _ x: String, _ cin: Int, _ cout: Int,
                                    kernel: Int, stride: Int = 1, groups: Int = 1) -> String {
        var y = b.conv("\(name).0", x, cin, cout, kernel: kernel, stride: stride, pad: (kernel - 1) / 2, groups: groups, bias: false)
        y = b.batchNorm("\(name).1", y, cout)
        return b.rename(b.relu6("\(name).2", y), to: name)
    }

    static func build(_ b: inout NetworkBuilder, size: ArchitectureInputSize?) throws -> Graph {
        var x = convBNReLU6(&b, "features.0", "input", 3, 32, kernel: 3, stride: 2)
        var cin = 32, index = 1
        for (t, c, n, s) in settings {
            for i in 0..<n {
                let p = "features.\(index)"
                let stride = i == 0 ? s : 1
                let hidden = cin * t
                var y = x, k = 0
                if t != 1 { y = convBNReLU6(&b, "\(p).conv.0", y, cin, hidden, kernel: 1); k = 1 }
                y = convBNReLU6(&b, "\(p).conv.\(k)", y, hidden, hidden, kernel: 3, stride: stride, groups: hidden)
                y = b.conv("\(p).conv.\(k + 1)", y, hidden, c, kernel: 1, bias: false)
                y = b.batchNorm("\(p).conv.\(k + 2)", y, c)
                if stride == 1 && cin == c {
                    y = b.add("\(p).add", x, b.rename(y, to: "\(p).conv"))
                }
                x = b.rename(y, to: p)
                cin = c; index += 1
            }
        }
        x = b.rename(convBNReLU6(&b, "features.\(index)", x, cin, 1280, kernel: 1), to: "features")
        x = b.flatten("flatten", b.globalAvgPool("adaptive_avg_pool2d", x))
        let classes = b.classes(from: "classifier.1.weight")
        x = b.linear("classifier.1", x, 1280, classes)
        return try b.finish(input: "input", height: size.heightDim, width: size.widthDim, output: x, classes: classes)
    }
}
