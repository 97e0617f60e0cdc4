import Foundation
import Graph
import Importers
import TestSupport
import XCTest

final class ArchitectureErrorTests: XCTestCase {
    func testAllKeyProblemsAreListedInOneError() throws {
        var w = try ArchitectureManifest("resnet18").weights()
        w["fc.bias"] = nil
        w["layer1.0.bn1.running_var"] = nil
        w["extra.weight"] = Tensor.zeros([2])
        w["conv1.weight"] = Tensor.zeros([64, 3, 3, 3])
        w["bn1.weight"] = Tensor.zeros([64], dtype: .int64)
        XCTAssertThrowsError(try Architectures.build("resnet18", weights: w, file: "r18.npz")) { error in
            guard let e = error as? WeightsMismatchError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.missing.map(\.key), ["layer1.0.bn1.running_var", "fc.bias"])
            XCTAssertEqual(e.missing.map(\.expected), ["[64] float32", "[10] float32"])
            XCTAssertEqual(e.unexpected, ["extra.weight"])
            XCTAssertEqual(e.misfits, [
                .init(key: "conv1.weight", expected: "[64, 3, 7, 7] float32", got: "[64, 3, 3, 3] float32"),
                .init(key: "bn1.weight", expected: "[64] float32", got: "[64] int64"),
            ])
            let text = "\(e)"
            XCTAssertTrue(text.hasPrefix("r18.npz: the weights do not fit resnet18:"), text)
            for k in ["fc.bias", "layer1.0.bn1.running_var", "extra.weight", "conv1.weight", "bn1.weight"] {
                XCTAssertTrue(text.contains(k), "\(k) not in \(text)")
            }
        }
    }

    func testDataParallelPrefixHint() throws {
        let w = try ArchitectureManifest("squeezenet1_1").weights()
        let prefixed = Dictionary(uniqueKeysWithValues: w.map { ("module.\($0.key)", $0.value) })
        XCTAssertThrowsError(try Architectures.build("squeezenet1_1", weights: prefixed, file: "s.npz")) { e in
            XCTAssertTrue("\(e)".contains("nn.DataParallel"), "\(e)")
        }
    }

    func testUnknownArchitectureListsKnownOnes() {
        XCTAssertThrowsError(try Architectures.build("resnet9", weights: [:], file: "x.npz")) { e in
            XCTAssertEqual(e as? ArchitectureError, .unknown("resnet9"))
            XCTAssertTrue("\(e)".contains("resnet18, resnet34"), "\(e)")
        }
        XCTAssertThrowsError(try Architectures.load(spec: "resnet18")) { XCTAssertEqual($0 as? ArchitectureError, .badSpec("resnet18")) }
        XCTAssertThrowsError(try Architectures.load(spec: "nope:x.npz")) { XCTAssertEqual($0 as? ArchitectureError, .unknown("nope")) }
        XCTAssertThrowsError(try Architectures.load(spec: "resnet18:/nonexistent/w.npz")) { e in
            XCTAssertTrue("\(e)".hasPrefix("/nonexistent/w.npz: cannot open"), "\(e)")
        }
    }

    func testLoadSpecReadsTheArchive() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("arch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let w = try ArchitectureManifest("squeezenet1_1").weights()
        let p = dir.appendingPathComponent("sq.npz").path
        try NPZ.write(path: p, arrays: w)
        let g = try Architectures.load(spec: "squeezenet1_1:\(p)")
        XCTAssertEqual(g.initializers["classifier.1.weight"], w["classifier.1.weight"])
        XCTAssertEqual(g.nodes.count, try Architectures.build("squeezenet1_1", weights: w, file: p).nodes.count)
    }

    /// Checkpoints from the original torchvision release name dense-layer modules "norm.1", "conv.2".
    func testDenseNetLegacyKeysAreRenamed() throws {
        let w = try ArchitectureManifest("densenet121").weights()
        var legacy: [String: Tensor] = [:]
        for (k, v) in w {
            var key = k
            for (new, old) in [(".norm1.", ".norm.1."), (".norm2.", ".norm.2."), (".conv1.", ".conv.1."), (".conv2.", ".conv.2.")]
            where k.contains("denselayer") { key = key.replacingOccurrences(of: new, with: old) }
            legacy[key] = v
        }
        XCTAssertNotNil(legacy["features.denseblock1.denselayer1.norm.1.weight"])
        let g = try Architectures.build("densenet121", weights: legacy, file: "d.npz")
        XCTAssertEqual(g.initializers["features.denseblock1.denselayer1.norm1.weight"]?.shape, [64])
    }

    func testAdaptivePoolInputSizes() throws {
        let w = try ArchitectureManifest("vgg11").weights()
        let big = try Architectures.build("vgg11", weights: w, file: "v.npz", inputSize: .init(height: 448, width: 224))
        XCTAssertEqual(big.inputs[0].shape, [.symbol("N"), .fixed(3), .fixed(448), .fixed(224)])
        XCTAssertEqual(big.node(named: "avgpool")?.attributes["kernel_shape"], .ints([2, 1]))
        XCTAssertEqual(try inferShapes(big, input: [1, 3, 448, 224])["logits"], [1, 10])
        XCTAssertThrowsError(try Architectures.build("vgg11", weights: w, file: "v.npz", inputSize: .init(height: 300, width: 300))) { e in
            XCTAssertTrue("\(e)".contains("gives a 9x9 feature map"), "\(e)")
        }
        let a = try ArchitectureManifest("alexnet").weights()
        XCTAssertThrowsError(try Architectures.build("alexnet", weights: a, file: "a.npz", inputSize: .init(height: 32, width: 32))) { e in
            XCTAssertTrue("\(e)".contains("a.npz"), "\(e)")
        }
        XCTAssertThrowsError(try Architectures.build("resnet18", weights: [:], file: "r.npz", inputSize: .init(height: 0, width: 5)))
    }
}
