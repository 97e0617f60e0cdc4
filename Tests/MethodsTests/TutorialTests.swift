import Foundation
import Graph
import Importers
import Methods
import Rules
import TestSupport
import XCTest

/// The DocC tutorial "Explaining photos with cfcam" (Sources/Methods/Methods.docc/Tutorials), run.
///
/// Every code listing of the tutorial is a region of this file between `// snippet: NAME` and
/// `// end snippet`; `testTutorialListingsAreTheTestedCode` fails when a listing file
/// (Sources/Methods/Methods.docc/Resources/NAME.swift) differs from its region, so the tutorial
/// shows exactly the code that runs here. Between the regions the test checks each step against
/// independent references:
/// - the bundled EfficientNet-Lite0 (models/efficientnet-lite0) on fixtures/photos/chelsea.png:
///   logits against onnxruntime, Grad-CAM against pytorch-grad-cam 1.5.7 (Pearson >= 0.9999, max
///   |diff| <= 1e-3, as TimmCAMReferenceTests), on the same photo decoded by PIL and preprocessed
///   by torchvision (fixtures/tutorial/references.npz, scripts/reference/tutorial_refs.py);
/// - the custom op: the Swish model of fixtures/custom-op (docs/custom-ops.md) through the `lrp`
///   method against Zennit 0.5.1's EpsilonPlus relevance summed over channels (swish_io.npz);
/// - the embedding model (the same network's pooled 1280-d features): the cosine similarity of
///   chelsea.png to coffee.png and its Grad-CAM map against PyTorch / pytorch-grad-cam with the
///   SimilarityToConceptTarget of pytorch-grad-cam's embeddings tutorial.
/// The listings use paths relative to the repository root, so the test runs there.
final class TutorialTests: XCTestCase {
    static var root: URL { fixturesURL().deletingLastPathComponent() }
    static var listings: URL { root.appendingPathComponent("Sources/Methods/Methods.docc/Resources") }
    let references = fixturesURL("tutorial/references.npz").path

    override func setUp() {
        super.setUp()
        FileManager.default.changeCurrentDirectoryPath(Self.root.path)
    }

    func referenceMap(_ refs: [String: Tensor], _ key: String) throws -> [Float] {
        try XCTUnwrap(refs[key]).floatValues().map { $0 / 65535 }
    }

    func assertAgrees(_ got: [Float], _ want: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, what, file: file, line: line)
        let r = MapAgreement(got[...], want[...])
        print("tutorial \(what): \(r)")
        XCTAssertGreaterThanOrEqual(r.pearson, 0.9999, "\(what): \(r)", file: file, line: line)
        XCTAssertLessThanOrEqual(r.maxDiff, 1e-3, "\(what): \(r)", file: file, line: line)
    }

    func testTheTutorialStepByStep() throws {
        let refs = try NPZ.read(path: references)

        // snippet: load-model
        let registry = standardRegistry()
        let modelPath = "models/efficientnet-lite0/efficientnet_lite0.onnx"
        let graph = try ModelLoader.load(modelPath, registry: registry)
        let model = try ExplainModel(graph: graph, registry: registry)
        print(model.summary)

        // Preprocessing and class names travel in the file (ONNX metadata_props).
        let metadata = try ModelMetadata.load(modelPath: modelPath)
        let spec = try metadata.preprocess ?? PreprocessPreset.spec(named: "imagenet", inputSize: 224)
        let labels = metadata.labels ?? []
        // end snippet
        XCTAssertEqual(model.inputDims.compactMap { $0 }, [3, 224, 224])
        XCTAssertEqual(model.outputName, "logits")
        XCTAssertEqual(spec.resize, .shortSide(256))
        XCTAssertEqual(spec.interpolation, .bicubic)
        XCTAssertEqual(labels.count, 1000)

        // snippet: explain-photo
        let photo = try ImageDecoder.read(path: "fixtures/photos/chelsea.png")
        let (input, geometry) = try Preprocessor.apply(photo, spec: spec, channels: 3, height: 224, width: 224)

        // One forward: the top-5 and the class each method will explain (top-1).
        let job = ExplainJob(target: .top1, layers: [.auto])
        let prediction = try job.predict(input, model: model)
        for p in prediction.top[0] {
            print(labels[p.classIndex], p.probability)
        }

        // Any registered method by name: gradcam, layercam, cfcam, relevancecam, lrp, ...
        // (a registry is a value: the built-ins, plus whatever you or a plugin register)
        let methods = MethodRegistry.builtin
        let gradcam = ExplainJob.Step(entry: try methods.entry(named: "gradcam"),
                                      method: try methods.method(named: "gradcam"))
        let result = try job.explain(gradcam, input: input, prediction: prediction, model: model)
        print("layer:", result.layers, "map:", result.map.shape)   // [1, 224, 224], values in [0, 1]

        // Back through the crop and resize to the photo's own pixels, and drawn over it.
        let map = geometry.mapToOriginal(try result.map.floats(), width: 224, height: 224)
        let overlay = try Overlay.render(image: photo, map: map,
                                         colormap: try ColormapRegistry.standard.colormap(named: "jet"),
                                         alpha: 0.5, normalisation: .minMax, dimOutside: geometry.seenRect)
        try ImageEncoder.write(overlay, path: NSTemporaryDirectory() + "chelsea-gradcam.png")
        // end snippet
        let logits = try XCTUnwrap(refs["logits.chelsea"]).floatValues()
        let mine = try model.forward(input).floatValues()
        let scale = logits.map(abs).max() ?? 1
        XCTAssertLessThanOrEqual(zip(mine, logits).map { abs($0 - $1) }.max() ?? 1, 1e-4 * scale, "logits vs onnxruntime")
        let want = try XCTUnwrap(refs["gradcam.target"]).intValues()
        XCTAssertEqual(prediction.top[0].map(\.classIndex).first, want.first)
        XCTAssertEqual(labels[282], "tiger cat")
        XCTAssertEqual(result.layers, ["/bn2/act/Clip_output_0"])
        XCTAssertEqual(result.map.shape, [1, 224, 224])
        assertAgrees(try result.map.floats(), try referenceMap(refs, "gradcam.map"), "Grad-CAM on chelsea.png")
        let written = try ImageDecoder.read(path: NSTemporaryDirectory() + "chelsea-gradcam.png")
        XCTAssertEqual([written.width, written.height], [photo.width, photo.height])

        let swishIO = try NPZ.read(path: "fixtures/custom-op/swish_io.npz")
        let swishInput = try XCTUnwrap(swishIO["input"])
        // snippet: custom-op
        // Swish(x) = x * sigmoid(x), the op "my.domain::Swish" of fixtures/custom-op/swish.onnx.
        var withSwish = standardRegistry()
        withSwish.register(OpDefinition(
            domain: "my.domain", opType: "Swish",
            vjp: { ctx in                  // gradient: d/dx [x s(x)] = s(x) (1 + x (1 - s(x)))
                let x = try ctx.input(0).floats(), g = try ctx.outputGrads[0].floats()
                let dx = zip(x, g).map { xi, gi -> Float in
                    let s = 1 / (1 + expf(-xi))
                    return gi * s * (1 + xi * (1 - s))
                }
                return [try Tensor(shape: try ctx.input(0).shape, floats: dx)]
            },
            lrp: .elementwise              // LRP rule: relevance passes through unchanged, as ReLU's
        ) { ctx in                         // forward
            let x = try ctx.input(0)
            return [try Tensor(shape: x.shape, floats: try x.floats().map { $0 / (1 + expf(-$0)) })]
        })

        let swishModel = try ExplainModel(
            graph: try ModelLoader.load("fixtures/custom-op/swish.onnx", registry: withSwish), registry: withSwish)
        let lrp = ExplainJob.Step(entry: try MethodRegistry.builtin.entry(named: "lrp"),
                                  method: try MethodRegistry.builtin.method(named: "lrp"))   // composite epsilon-plus
        let lrpJob = ExplainJob()
        let relevance = try lrpJob.explain(lrp, input: swishInput,
                                           prediction: try lrpJob.predict(swishInput, model: swishModel),
                                           model: swishModel).map              // [N, H, W], signed
        // end snippet
        let zennit = try XCTUnwrap(swishIO["lrp_input"])
        let (n, c, h, w) = (zennit.shape[0], zennit.shape[1], zennit.shape[2], zennit.shape[3])
        let z = zennit.floatValues()
        var summed = [Float](repeating: 0, count: n * h * w)
        for b in 0..<n { for ch in 0..<c { for i in 0..<(h * w) { summed[b * h * w + i] += z[(b * c + ch) * h * w + i] } } }
        XCTAssertEqual(relevance.shape, [n, h, w])
        let got = try relevance.floats()
        let zmax = summed.map(abs).max() ?? 1
        let lrpDiff = zip(got, summed).map { abs($0 - $1) }.max() ?? 1
        print("tutorial custom-op LRP vs zennit: max|diff| \(lrpDiff / zmax) of max")
        XCTAssertLessThanOrEqual(lrpDiff, 1e-4 * zmax, "epsilon-plus relevance with the custom op vs zennit")
        XCTAssertGreaterThan(zmax, 0)

        // snippet: embedding-similarity
        // The same network as an embedding model: its pooled 1280-d features, not its logits.
        let embedder = try ExplainModel(graph: graph, registry: registry,
                                        options: ExplainModel.Options(output: "/global_pool/flatten/Flatten_output_0"))
        let query = try Preprocessor.apply(try ImageDecoder.read(path: "fixtures/photos/chelsea.png"),
                                           spec: spec, channels: 3, height: 224, width: 224)
        let reference = try Preprocessor.apply(try ImageDecoder.read(path: "fixtures/photos/coffee.png"),
                                               spec: spec, channels: 3, height: 224, width: 224)

        // The target: cosine similarity of the query's embedding to the reference photo's.
        let similar = ExplainJob(target: try Target.similarity(toImage: reference.tensor, metric: .cosine, model: embedder))
        let similarity = try similar.predict(query.tensor, model: embedder)
        print("cosine similarity:", similarity.targets[0].score)
        let why = try similar.explain(gradcam, input: query.tensor, prediction: similarity, model: embedder)
        // why.map [1, 224, 224]: where the query looks like the reference (fam works here too)
        // end snippet
        let cosine = try XCTUnwrap(refs["similarity.score"]).floatValues()[0]
        XCTAssertEqual(similarity.targets[0].score, cosine, accuracy: 1e-4, "cosine similarity vs PyTorch")
        XCTAssertEqual(why.layers, ["/bn2/act/Clip_output_0"])
        assertAgrees(try why.map.floats(), try referenceMap(refs, "similarity.map"), "similarity Grad-CAM chelsea -> coffee")
    }

    /// The tutorial's listings are this file's regions, character for character (after removing
    /// the regions' common indentation), and every listing file is used by the tutorial.
    func testTutorialListingsAreTheTestedCode() throws {
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        let regions = Self.regions(source)
        XCTAssertEqual(Set(regions.keys), ["load-model", "explain-photo", "custom-op", "embedding-similarity"])
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.listings.path).filter { $0.hasSuffix(".swift") }
        XCTAssertEqual(Set(files), Set(regions.keys.map { "tutorial-\($0).swift" }), "listing files vs regions")
        for (name, code) in regions {
            let file = Self.listings.appendingPathComponent("tutorial-\(name).swift")
            let listing = try String(contentsOf: file, encoding: .utf8)
            XCTAssertEqual(listing, code, "\(file.path) differs from the region '\(name)' of TutorialTests.swift; copy the region (scripts/tutorial-listings.sh)")
        }
        let tutorials = Self.root.appendingPathComponent("Sources/Methods/Methods.docc/Tutorials")
        let text = try FileManager.default.contentsOfDirectory(atPath: tutorials.path)
            .map { try String(contentsOf: tutorials.appendingPathComponent($0), encoding: .utf8) }.joined()
        for name in regions.keys { XCTAssertTrue(text.contains("tutorial-\(name).swift"), "the tutorial never shows tutorial-\(name).swift") }
    }

    /// `// snippet: NAME` ... `// end snippet` regions, de-indented, each ending in one newline.
    static func regions(_ source: String) -> [String: String] {
        var out: [String: String] = [:]
        var name: String?
        var lines: [Substring] = []
        for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("// snippet: ") {
                name = String(t.dropFirst("// snippet: ".count)); lines = []
            } else if t == "// end snippet", let n = name {
                let indent = lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
                    .map { $0.prefix { $0 == " " }.count }.min() ?? 0
                out[n] = lines.map { $0.count >= indent ? String($0.dropFirst(indent)) : "" }.joined(separator: "\n") + "\n"
                name = nil
            } else if name != nil {
                lines.append(line)
            }
        }
        return out
    }
}
