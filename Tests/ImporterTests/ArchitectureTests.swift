import Foundation
import Graph
import Importers
import TestSupport
import XCTest

/// Builds every architecture from a state_dict layout recorded from torchvision and checks the
/// graph's names, op kinds and shapes against what torchvision did on a 224x224 input.
final class ArchitectureTests: XCTestCase {
    private let opOfModule = ["Conv2d": "Conv", "BatchNorm2d": "BatchNormalization", "ReLU": "Relu", "ReLU6": "Clip",
                              "MaxPool2d": "MaxPool", "AvgPool2d": "AveragePool", "Linear": "Gemm"]

    private func check(_ arch: String) throws {
        let m = try ArchitectureManifest(arch)
        let g = try Architectures.build(arch, weights: m.weights(), file: "\(arch).npz")
        // Every float state_dict entry is an initializer of that name and shape.
        let floatParams = m.params.filter { $0.dtype.hasPrefix("float") }
        for p in floatParams { XCTAssertEqual(g.initializers[p.key]?.shape, p.shape, "\(arch): \(p.key)") }
        let extra = Set(g.initializers.keys).subtracting(floatParams.map(\.key))
        XCTAssertTrue(extra.isSubset(of: ["const.relu6_min", "const.relu6_max"]), "\(arch): \(extra)")

        let shapes = try inferShapes(g, input: [1, 3, 224, 224])
        var matched = Set<String>()
        for (name, call) in m.namedCalls {
            if call.kind == "AdaptiveAvgPool2d" {
                // Global pool (1x1) or the 224-input identity pool of alexnet / vgg.
                guard let n = g.node(named: name) else { XCTFail("\(arch): no node \(name)"); continue }
                XCTAssertTrue(["GlobalAveragePool", "AveragePool"].contains(n.opType), "\(arch): \(name) is \(n.opType)")
                XCTAssertEqual(shapes[n.outputs[0]], call.shape, "\(arch): \(name)")
                matched.insert(name); continue
            }
            guard let n = g.node(named: name) else { XCTFail("\(arch): no node named \(name)"); continue }
            XCTAssertEqual(n.opType, opOfModule[call.kind], "\(arch): \(name) (\(call.kind))")
            XCTAssertEqual(shapes[n.outputs[0]], call.shape, "\(arch): shape of \(name)")
            matched.insert(name)
        }
        // Nodes with no module call are torch functional ops.
        for n in g.nodes where !matched.contains(n.name) {
            XCTAssertTrue(["Add", "Concat", "Flatten"].contains(n.opType) || (n.opType == "Relu" && n.name == "relu")
                          || (n.opType == "GlobalAveragePool" && n.name == "adaptive_avg_pool2d"),
                          "\(arch): unexpected node \(n.name) (\(n.opType))")
        }
        XCTAssertEqual(g.inputs.map(\.name), ["input"])
        XCTAssertEqual(g.outputs.map(\.name), ["logits"])
        XCTAssertEqual(shapes["logits"], [1, 10], arch)
    }

    func testResNets() throws {
        for a in ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d", "wide_resnet50_2"] { try check(a) }
    }
    func testVGGs() throws {
        for a in ["vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"] { try check(a) }
    }
    func testAlexNet() throws { try check("alexnet") }
    func testMobileNetV2() throws { try check("mobilenet_v2") }
    func testDenseNets() throws { for a in ["densenet121", "densenet161", "densenet169", "densenet201"] { try check(a) } }
    func testSqueezeNets() throws { for a in ["squeezenet1_0", "squeezenet1_1"] { try check(a) } }

    func testEveryNameIsCoveredByAManifest() {
        for a in Architectures.names {
            XCTAssertTrue(FileManager.default.fileExists(atPath: fixturesURL("npz/arch/\(a).txt").path), a)
        }
        XCTAssertEqual(Architectures.names.count, 23)
    }

    /// Module-level value names users pick layers by.
    func testModuleValueNames() throws {
        func outputs(_ arch: String) throws -> Set<String> {
            let g = try Architectures.build(arch, weights: ArchitectureManifest(arch).weights(), file: "w.npz")
            return Set(g.nodes.flatMap(\.outputs))
        }
        let r = try outputs("resnet18")
        for v in ["layer1", "layer4", "layer1.0", "layer2.0.downsample", "layer1.0.conv1", "avgpool", "logits"] {
            XCTAssertTrue(r.contains(v), "resnet18 lacks value \(v)")
        }
        XCTAssertFalse(r.contains("layer4.1"), "the last block's output is named layer4")
        let d = try outputs("densenet121")
        for v in ["features", "features.denseblock4", "features.transition3", "features.denseblock1.denselayer6"] {
            XCTAssertTrue(d.contains(v), "densenet121 lacks value \(v)")
        }
        let mb = try outputs("mobilenet_v2")
        for v in ["features", "features.17", "features.2", "features.3", "features.3.conv"] {
            XCTAssertTrue(mb.contains(v), "mobilenet_v2 lacks value \(v)")
        }
        XCTAssertTrue(try outputs("vgg16").contains("features"))
        XCTAssertTrue(try outputs("squeezenet1_1").isSuperset(of: ["features", "features.11", "classifier"]))
    }

    func testClassCountComesFromWeights() throws {
        var w = try ArchitectureManifest("resnet18").weights()
        w["fc.weight"] = Tensor.zeros([3, 512]); w["fc.bias"] = Tensor.zeros([3])
        let g = try Architectures.build("resnet18", weights: w, file: "w.npz")
        XCTAssertEqual(g.outputs[0].shape, [.symbol("N"), .fixed(3)])
        XCTAssertEqual(g.inputs[0].shape, [.symbol("N"), .fixed(3), .symbol("H"), .symbol("W")])
        XCTAssertEqual(g.node(named: "fc")?.attributes["transB"], .int(1))
    }
}
