import Graph
import XCTest

final class TopologyTests: XCTestCase {
    func testCycleIsReportedWithNodeNames() {
        var g = Graph(nodes: [
            Node(name: "p", opType: "AddOne", inputs: ["q_out"], outputs: ["p_out"]),
            Node(name: "q", opType: "AddOne", inputs: ["p_out"], outputs: ["q_out"]),
        ], inputs: [], outputs: [ValueInfo(name: "q_out", shape: nil)])
        XCTAssertThrowsError(try g.sort()) { e in
            XCTAssertTrue("\(e)".contains("cycle") && "\(e)".contains("p") && "\(e)".contains("q"), "\(e)")
        }
    }

    func testDanglingInputIsReported() {
        var g = Graph(nodes: [Node(name: "p", opType: "AddOne", inputs: ["nowhere"], outputs: ["y"])],
                      outputs: [ValueInfo(name: "y", shape: nil)])
        XCTAssertThrowsError(try g.sort()) { e in
            XCTAssertEqual("\(e)", "node 'p' (AddOne): invalid graph: input 'nowhere' is not a graph input, initializer or node output")
        }
    }

    func testValueProducedTwiceIsReported() {
        var g = Graph(nodes: [
            Node(name: "p", opType: "AddOne", inputs: ["x"], outputs: ["y"]),
            Node(name: "q", opType: "AddOne", inputs: ["x"], outputs: ["y"]),
        ], inputs: [ValueInfo(name: "x", shape: nil)], outputs: [ValueInfo(name: "y", shape: nil)])
        XCTAssertThrowsError(try g.sort()) { e in XCTAssertTrue("\(e)".contains("produced more than once"), "\(e)") }
    }
}
