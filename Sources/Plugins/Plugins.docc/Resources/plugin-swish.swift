import Foundation
import Graph
import Rules

/// Swish(x) = x · σ(x) in the custom domain "my.domain" (the op of fixtures/custom-op/swish.onnx).
public enum Swish {
    public static let domain = "my.domain"

    @inline(__always) static func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }

    /// Forward, gradient and LRP role.
    public static let definition = OpDefinition(
        domain: domain, opType: "Swish",
        // d/dx [x σ(x)] = σ(x) (1 + x (1 − σ(x)))
        vjp: { ctx in
            let x = try ctx.input(0), g = try ctx.outputGrads[0].floats()
            let dx = zip(try x.floats(), g).map { xi, gi -> Float in
                let s = sigmoid(xi)
                return gi * s * (1 + xi * (1 - s))
            }
            return [try Tensor(shape: x.shape, floats: dx)]
        },
        // An activation: relevance passes through unchanged (Zennit's Pass), as for ReLU.
        lrp: .elementwise
    ) { ctx in
        let x = try ctx.input(0)
        return [try Tensor(shape: x.shape, floats: try x.floats().map { $0 * sigmoid($0) })]
    }

    /// "epsilon-plus-swish-gradient": Zennit's epsilon-plus, but relevance crosses Swish by its
    /// gradient (a rule for one op type, chosen by the composite) instead of passing unchanged.
    public static let gradientComposite = CompositeRegistry.Entry(
        name: "epsilon-plus-swish-gradient",
        summary: "epsilon-plus, with my.domain::Swish by its gradient instead of Pass"
    ) { options in
        try Composite.preset(.epsilonPlus, options: options).with(.opTypes(["\(domain)::Swish"]), GradientRule())
    }
}
