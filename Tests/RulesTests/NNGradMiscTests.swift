import Graph
import Rules
import TestSupport
import XCTest

/// Finite-difference checks of the ConvTranspose, Resize and Pad gradients.
final class NNGradMiscTests: XCTestCase {
    private var rng = NNGradRandom(47)

    func testConvTranspose() throws {
        // (X shape, W shape, output channels M = W[1] · group, attributes)
        let cases: [([Int], [Int], Int, [String: Attribute])] = [
            ([1, 2, 3, 3], [2, 3, 3, 3], 3, ["strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1]), "output_padding": .ints([1, 1])]),
            ([2, 4, 3, 2], [4, 1, 2, 3], 2, ["group": .int(2), "dilations": .ints([2, 1])]),
            ([1, 2, 4], [2, 2, 3], 2, ["strides": .ints([3]), "pads": .ints([1, 0])]),
            ([1, 1, 2, 2], [1, 2, 3, 3], 2, ["strides": .ints([2, 2]), "output_shape": .ints([6, 5])]),
        ]
        for (xs, ws, m, attrs) in cases {
            try NNGradCheck("ConvTranspose", [rng.tensor(xs), rng.tensor(ws), rng.tensor([m])], attrs).check(wrt: [0, 1, 2], rtol: 1e-3)
        }
    }

    private func resize(_ x: Tensor, scales: [Float]? = nil, sizes: [Int64]? = nil, _ attrs: [String: Attribute]) throws {
        let s: Tensor? = scales.map { Tensor.vector($0) }
        let z: Tensor? = sizes.map { Tensor.vector($0) }
        try NNGradCheck("Resize", [x, nil, s, z], attrs).check(wrt: [0], rtol: 1e-3)
    }

    func testResizeNearestAndLinear() throws {
        let x = rng.tensor([1, 2, 3, 4])
        try resize(x, scales: [1, 1, 2, 2], [:])
        try resize(x, sizes: [1, 2, 2, 3], ["mode": .string("nearest"), "nearest_mode": .string("floor")])
        try resize(x, scales: [1, 1, 2, 1.5], ["mode": .string("linear")])
        try resize(x, sizes: [1, 2, 5, 7], ["mode": .string("linear"), "coordinate_transformation_mode": .string("align_corners")])
        try resize(x, sizes: [1, 2, 2, 2], ["mode": .string("linear"), "coordinate_transformation_mode": .string("pytorch_half_pixel")])
        try resize(x, scales: [1, 1, 2, 2], ["mode": .string("cubic")])
    }

    func testResizeNearestHandValues() throws {
        // Nearest x2 upsampling of [a, b]: each input receives the sum of its two copies' gradients.
        let g = try NNGradCheck("Resize", [try Tensor(shape: [1, 2], floats: [1, 2]), nil, Tensor.vector([1, 2] as [Float]), nil])
            .vjp(seed: try Tensor(shape: [1, 4], floats: [1, 2, 30, 40]))
        assertClose(try XCTUnwrap(g[0]), try Tensor(shape: [1, 2], floats: [3, 70]))
    }

    func testPadModes() throws {
        for mode in ["constant", "reflect", "edge", "wrap"] {
            let pads = Tensor.vector([0, 1, 2, 0, 2, 1] as [Int64])
            let fill: Tensor? = mode == "constant" ? .scalar(Float(0.3)) : nil
            try NNGradCheck("Pad", [rng.tensor([2, 3, 3]), pads, fill], ["mode": .string(mode)])
                .check(wrt: mode == "constant" ? [0, 2] : [0], rtol: 1e-3)
        }
        // Negative pads crop.
        try NNGradCheck("Pad", [rng.tensor([3, 4]), Tensor.vector([-1, 1, 0, -2] as [Int64])]).check(wrt: [0], rtol: 1e-3)
    }

    func testPadReflectHandValues() throws {
        // reflect [1, 2, 3] by 2 each side -> [3, 2, 1, 2, 3, 2, 1]; with dY = 1..7 (position i -> i+1):
        // x0 <- 3 + 7, x1 <- 2 + 4 + 6, x2 <- 1 + 5.
        let g = try NNGradCheck("Pad", [try Tensor(shape: [3], floats: [1, 2, 3]), Tensor.vector([2, 2] as [Int64])], ["mode": .string("reflect")])
            .vjp(seed: try Tensor(shape: [7], floats: [1, 2, 3, 4, 5, 6, 7]))
        assertClose(try XCTUnwrap(g[0]), try Tensor(shape: [3], floats: [10, 12, 6]))
    }
}
