import Graph
import Importers
import TestSupport
import XCTest

/// Path of a file in fixtures/onnx-small.
func onnxFixture(_ name: String) -> String { fixturesURL("onnx-small/\(name)").path }

/// Loads a fixture model, failing the test with the error's text when it throws.
func loadONNXFixture(_ name: String, registry: OpRegistry? = nil,
                     file: StaticString = #filePath, line: UInt = #line) throws -> Graph {
    do { return try ONNXImporter.load(path: onnxFixture(name), registry: registry) } catch {
        XCTFail("\(name): \(error)", file: file, line: line)
        throw error
    }
}

/// Asserts that `body` throws a GraphError.inFile whose text contains every string in `parts`.
func assertONNXError<T>(_ body: @autoclosure () throws -> T, contains parts: [String],
                        file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("expected an error containing \(parts)", file: file, line: line)
    } catch let e as GraphError {
        guard case .inFile = e else { return XCTFail("not wrapped with the file: \(e)", file: file, line: line) }
        let text = e.description
        for p in parts { XCTAssertTrue(text.contains(p), "'\(p)' missing from: \(text)", file: file, line: line) }
    } catch {
        XCTFail("not a GraphError: \(error)", file: file, line: line)
    }
}

/// An initializer's values, failing the test when absent.
func onnxInitializer(_ g: Graph, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> Tensor {
    guard let t = g.initializers[name] else {
        XCTFail("no initializer '\(name)'; have \(g.initializers.keys.sorted())", file: file, line: line)
        throw GraphError.missingValue(name)
    }
    return t
}

/// A node by name, failing the test when absent.
func onnxNode(_ g: Graph, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> Node {
    guard let n = g.node(named: name) else {
        XCTFail("no node '\(name)'; have \(g.nodes.map(\.name))", file: file, line: line)
        throw GraphError.missingValue(name)
    }
    return n
}
