import Graph
import Importers
import Methods
import Plugins
import Rules
import XCTest

/// The registries as values, the built-ins as a plugin, and the conflict rule.
final class RegistriesTests: XCTestCase {
    struct Toy: CFCAMPlugin {
        var name: String
        var body: (PluginRegistrar) throws -> Void
        func register(into r: PluginRegistrar) throws { try body(r) }
    }

    static func identityOp(_ type: String, opsets: ClosedRange<Int> = 1...Int.max) -> OpDefinition {
        OpDefinition(domain: "test.domain", opType: type, opsets: opsets, lrp: .elementwise) { ctx in [try ctx.input(0)] }
    }

    static func method(_ name: String) -> MethodRegistry.Entry {
        MethodRegistry.Entry(name: name, summary: name, kind: .layer) { _ in GradCAM() }
    }

    func testStandardHoldsEveryBuiltinRegisteredThroughThePluginInterface() throws {
        let r = Registries.standard()
        XCTAssertEqual(r.methods.names, BuiltinMethods.all.map(\.name))
        XCTAssertEqual(r.composites.names, Composite.Preset.allCases.map(\.rawValue))
        XCTAssertEqual(r.composites.canonizerEntries.map(\.name), ["merge-batchnorm"])
        XCTAssertEqual(r.targets.names, ["top1", "class", "contrast", "contrast-all"])
        XCTAssertEqual(r.importers.names, ["architecture", "onnx"])
        XCTAssertEqual(r.metrics.names, MetricRegistry.builtin.names)
        XCTAssertTrue(r.metrics.names.contains("insertion") && r.metrics.names.contains("road-combined"))
        let standard = standardRegistry()
        XCTAssertEqual(r.ops.keys.map { "\($0.domain)::\($0.opType)" }, standard.keys.map { "\($0.domain)::\($0.opType)" })
        for k in standard.keys {
            XCTAssertEqual(r.ops.definitions(domain: k.domain, opType: k.opType).map(\.opsets),
                           standard.definitions(domain: k.domain, opType: k.opType).map(\.opsets), "\(k)")
        }
        let registrar = PluginRegistrar()
        try registrar.load(BuiltinPlugin())
        XCTAssertEqual(registrar.reports.map(\.name), ["builtin"])
        XCTAssertTrue(registrar.reports[0].conflicts.isEmpty, "the built-ins replace nothing")
    }

    func testRegistriesAreValues() throws {
        var a = Registries.standard()
        let b = a
        a.methods.register(Self.method("mine"))
        XCTAssertTrue(a.methods.names.contains("mine"))
        XCTAssertFalse(b.methods.names.contains("mine"))
        XCTAssertFalse(Registries.standard().methods.names.contains("mine"))
    }

    func testTheLaterRegistrationWinsAndEachReplacementIsReported() throws {
        let registrar = PluginRegistrar.standard()
        try registrar.load(Toy(name: "first") { r in
            r.register(op: Self.identityOp("Twice"))
            r.register(op: Self.identityOp("Ranged", opsets: 1...5))
            r.register(method: Self.method("mine"))
            r.register(method: Self.method("mine"))          // twice in one plugin: not a conflict
        })
        try registrar.load(Toy(name: "second") { r in
            r.register(op: Self.identityOp("Ranged", opsets: 6...9))   // no overlap: not a conflict
            r.register(method: MethodRegistry.Entry(name: "mine", summary: "second's", kind: .input) { _ in RawGradient() })
            r.register(method: MethodRegistry.Entry(name: "gradcam", summary: "second's gradcam", kind: .layer) { _ in HiResCAM() })
        })
        let reports = Dictionary(uniqueKeysWithValues: registrar.reports.map { ($0.name, $0) })
        XCTAssertEqual(reports["first"]?.registrations.count, 3)
        XCTAssertTrue(reports["first"]?.conflicts.isEmpty ?? false)
        XCTAssertEqual(reports["second"]?.conflicts, [
            PluginRegistration(kind: .method, name: "mine", replaced: "first"),
            PluginRegistration(kind: .method, name: "gradcam", replaced: "builtin"),
        ])
        let r = registrar.registries
        XCTAssertEqual(try r.methods.entry(named: "mine").summary, "second's")
        XCTAssertEqual(try r.methods.entry(named: "gradcam").summary, "second's gradcam")
        XCTAssertEqual(r.methods.names.firstIndex(of: "gradcam"), MethodRegistry.builtin.names.firstIndex(of: "gradcam"),
                       "a replaced entry keeps its place in listings")
        XCTAssertEqual(r.ops.definitions(domain: "test.domain", opType: "Ranged").count, 2)
        XCTAssertThrowsError(try registrar.load(Toy(name: "first") { _ in })) {
            XCTAssertTrue("\($0)".contains("a plugin named 'first' is already loaded"), "\($0)")
        }
    }

    func testAPluginThatThrowsLeavesNothingBehind() throws {
        struct Refused: Error {}
        let registrar = PluginRegistrar.standard()
        XCTAssertThrowsError(try registrar.load(Toy(name: "bad") { r in
            r.register(op: Self.identityOp("Half"))
            r.register(method: Self.method("gradcam"))
            throw Refused()
        }))
        XCTAssertNil(registrar.registries.ops.lookup(domain: "test.domain", opType: "Half", opset: 1))
        XCTAssertEqual(try registrar.registries.methods.entry(named: "gradcam").summary, GradCAM.entry.summary)
        XCTAssertEqual(registrar.reports.map(\.name), ["builtin"], "the refused plugin left no report")
        // The name is free again, and nothing of the refused plugin counts as a previous owner.
        try registrar.load(Toy(name: "bad") { r in r.register(method: Self.method("gradcam")) })
        XCTAssertEqual(registrar.reports.last?.conflicts.map(\.replaced), ["builtin"], "gradcam still belonged to the built-ins")
    }

    func testAPluginCompositeIsAcceptedWhereThePresetsAre() throws {
        var r = Registries.standard()
        r.composites.register(CompositeRegistry.Entry(name: "all-gradient", summary: "every layer by its gradient") { _ in
            Composite([Composite.Entry(.role(.linear), GradientRule()), Composite.Entry(.role(.elementwise), GradientRule())])
        })
        XCTAssertNoThrow(try r.method(named: "lrp", parameters: ["composite": "all-gradient"]))
        XCTAssertNoThrow(try r.method(named: "relevancecam", parameters: ["rules": "all-gradient"]))
        XCTAssertThrowsError(try Registries.standard().method(named: "lrp", parameters: ["composite": "all-gradient"])) {
            XCTAssertTrue("\($0)".contains("epsilon-plus"), "the error lists the known composites: \($0)")
        }
        let lrp = try XCTUnwrap(try r.method(named: "lrp", parameters: ["composite": "all-gradient"]) as? InputRelevance)
        XCTAssertEqual(lrp.composite, "all-gradient")
    }

    func testTargetsAndImportersAreRegistries() throws {
        var r = Registries.standard()
        XCTAssertThrowsError(try r.targets.parse("best")) { XCTAssertTrue("\($0)".contains("A-vs-all"), "\($0)") }
        r.targets.register(TargetRegistry.Entry(name: "best", syntax: "best", summary: "top-1") { $0 == "best" ? .top1 : nil })
        XCTAssertNoThrow(try r.targets.parse("best"))
        if case .contrast(3, 5) = try r.targets.parse("3-vs-5").kind {} else { XCTFail("3-vs-5") }
        XCTAssertEqual(try r.importers.importer(for: "a/b.ONNX").name, "onnx")
        XCTAssertEqual(try r.importers.importer(for: "resnet18:w.npz").name, "architecture")
        XCTAssertEqual(try r.importers.importer(for: "model.bin").name, "onnx", "the fallback")
        r.importers.register(ImporterRegistry.Entry(name: "bin", summary: "x", claims: { $0.hasSuffix(".bin") }) { _ in Graph() })
        XCTAssertEqual(try r.importers.importer(for: "model.bin").name, "bin")
        var empty = ImporterRegistry()
        empty.register(ImporterRegistry.Entry(name: "bin", summary: "x", claims: { $0.hasSuffix(".bin") }) { _ in Graph() })
        XCTAssertThrowsError(try empty.importer(for: "m.onnx")) { XCTAssertTrue("\($0)".contains("m.onnx"), "\($0)") }
    }
}
