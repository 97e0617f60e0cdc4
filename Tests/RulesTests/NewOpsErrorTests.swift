import Graph
import Rules
import TestSupport
import XCTest

/// Runs `op` on `inputs` and asserts it throws an error whose text contains `fragment` and the
/// node's name ("bad_<op>"): a thrown value with context, never a trap.
func assertNodeThrows(_ op: String, _ inputs: [Tensor?], attrs: [String: Attribute] = [:], outputs: Int = 1,
                      _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
    let node = Node(name: "bad_\(op)", opType: op, inputs: inputs.indices.map { inputs[$0] == nil ? "" : "x\($0)" },
                    outputs: (0..<outputs).map { "y\($0)" }, attributes: attrs)
    XCTAssertThrowsError(try runNode(node, inputs), file: file, line: line) { error in
        let text = "\(error)"
        XCTAssertTrue(text.contains(fragment), "'\(text)' should mention '\(fragment)'", file: file, line: line)
        XCTAssertTrue(text.contains("bad_\(op)"), "'\(text)' should name the node", file: file, line: line)
    }
}

/// Hostile attributes and inputs of the rounding, comparison, ranking, rearranging and Einsum ops
/// throw; nothing traps or allocates absurdly.
final class NewOpsErrorTests: XCTestCase {
    private func f(_ shape: [Int]) -> Tensor {
        Tensor(unchecked: shape, floats: (0..<Tensor.elementCount(shape)).map { Float($0) })
    }
    private func i(_ v: Int64...) -> Tensor { .vector(v) }
    private let yes = Tensor(unchecked: [2], bools: [true, false])

    func testDTypes() {
        assertNodeThrows("Round", [i(1, 2)], "float32")
        assertNodeThrows("Sign", [yes], "float32 or int64")
        assertNodeThrows("Less", [f([2]), i(1, 2)], "share one dtype")
        assertNodeThrows("GreaterOrEqual", [yes, yes], "float32 or int64")
        assertNodeThrows("And", [f([2]), f([2])], "must be bool")
        assertNodeThrows("Not", [i(1)], "must be bool")
        assertNodeThrows("ArgMax", [yes], "float32 or int64")
        assertNodeThrows("Einsum", [i(1, 2)], attrs: ["equation": .string("i->i")], "float32")
    }

    func testBroadcastMismatch() {
        assertNodeThrows("Greater", [f([2, 3]), f([4])], "cannot be broadcast")
        assertNodeThrows("Xor", [yes, Tensor(unchecked: [3], bools: [true, true, false])], "cannot be broadcast")
        assertNodeThrows("Mod", [f([2, 3]), f([2])], "cannot be broadcast")
    }

    func testModErrors() {
        assertNodeThrows("Mod", [i(4, 5), i(2, 0)], "modulo by zero")
        assertNodeThrows("Mod", [i(4, 5), i(2, 0)], attrs: ["fmod": .int(1)], "modulo by zero")
        assertNodeThrows("Mod", [f([2]), f([2])], attrs: ["fmod": .int(2)], "fmod")
    }

    func testArgMaxArgMinErrors() {
        assertNodeThrows("ArgMax", [f([2, 3])], attrs: ["axis": .int(2)], "out of range")
        assertNodeThrows("ArgMin", [f([2, 3])], attrs: ["axis": .int(-3)], "out of range")
        assertNodeThrows("ArgMax", [f([2, 0])], attrs: ["axis": .int(1)], "size 0")
        assertNodeThrows("ArgMin", [Tensor.scalar(Float(1))], "out of range")
    }

    func testTopKErrors() {
        assertNodeThrows("TopK", [f([2, 3]), i(-1)], outputs: 2, "outside 0...3")
        assertNodeThrows("TopK", [f([2, 3]), i(4)], outputs: 2, "outside 0...3")
        assertNodeThrows("TopK", [f([2, 3]), i(Int64.max)], outputs: 2, "outside")
        assertNodeThrows("TopK", [f([2, 3]), i(1, 2)], outputs: 2, "one value")
        assertNodeThrows("TopK", [f([2, 3]), f([1])], outputs: 2, "int64")
        assertNodeThrows("TopK", [f([2, 3]), i(1)], attrs: ["axis": .int(2)], outputs: 2, "out of range")
        assertNodeThrows("TopK", [Tensor.scalar(Float(1)), i(1)], outputs: 2, "rank >= 1")
    }

    func testTileErrors() {
        assertNodeThrows("Tile", [f([2, 3]), i(2)], "one entry per axis")
        assertNodeThrows("Tile", [f([2, 3]), i(2, -1)], "negative")
        assertNodeThrows("Tile", [f([2, 3]), i(1 << 20, 1 << 20)], "more than")
        assertNodeThrows("Tile", [f([2, 3]), i(Int64.max, 2)], "overflows")
        assertNodeThrows("Tile", [f([2]), f([1])], "int64")
    }

    func testTileWithHugeRepeatsOfAnEmptyTensorIsEmpty() throws {
        let node = Node(name: "t", opType: "Tile", inputs: ["x0", "x1"], outputs: ["y0"])
        let y = try runNode(node, [f([0, 2]), i(Int64.max, 3)])
        XCTAssertEqual(y[0].shape, [0, 6])
    }

    func testDepthToSpaceAndSpaceToDepthErrors() {
        for op in ["DepthToSpace", "SpaceToDepth"] {
            assertNodeThrows(op, [f([1, 4, 2, 2])], "required attribute 'blocksize'")
            assertNodeThrows(op, [f([1, 4, 2, 2])], attrs: ["blocksize": .int(0)], "at least 1")
            assertNodeThrows(op, [f([1, 4, 2, 2])], attrs: ["blocksize": .int(-2)], "at least 1")
            assertNodeThrows(op, [f([4, 2, 2])], attrs: ["blocksize": .int(2)], "4-D")
            assertNodeThrows(op, [f([1, 4, 2, 2])], attrs: ["blocksize": .int(2), "mode": .string("XYZ")], "mode")
        }
        assertNodeThrows("DepthToSpace", [f([1, 6, 2, 2])], attrs: ["blocksize": .int(2)], "not divisible")
        assertNodeThrows("DepthToSpace", [f([1, 4, 2, 2])], attrs: ["blocksize": .int(1 << 40)], "overflows")
        assertNodeThrows("SpaceToDepth", [f([1, 1, 3, 4])], attrs: ["blocksize": .int(2)], "divisible")
        assertNodeThrows("SpaceToDepth", [f([1, 1, 0, 0])], attrs: ["blocksize": .int(1 << 40)], "overflows")
    }

    func testEinsumErrorsNameTheEquation() {
        func bad(_ eq: String, _ inputs: [Tensor], _ fragment: String, line: UInt = #line) {
            assertNodeThrows("Einsum", inputs, attrs: ["equation": .string(eq)], "'\(eq)'", line: line)
            assertNodeThrows("Einsum", inputs, attrs: ["equation": .string(eq)], fragment, line: line)
        }
        bad("i,i,i->i", [f([2]), f([2]), f([2])], "supports 1 or 2")
        bad("ij,j1->i", [f([2, 3]), f([3, 1])], "not a letter")
        bad("ij,jk->ik", [f([2, 3]), f([4, 2])], "differs")
        bad("ijk->i", [f([2, 3])], "does not match")
        bad("ij->k", [f([2, 3])], "not in any input")
        bad("ij->ii", [f([2, 3])], "repeats in the output")
        bad("i->i->i", [f([2])], "more than one '->'")
        bad("i..j->i", [f([2, 3])], "'...'")
        bad("i.j", [f([2, 3])], "'...'")
        bad("ij->...", [f([2, 3])], "output only")
        bad("ij,jk->ik", [f([2, 3])], "input terms")
        bad("i,j->ij", [f([1 << 18]), f([1 << 18])], "more than")
        assertNodeThrows("Einsum", [f([2])], "required attribute 'equation'")
    }
}
