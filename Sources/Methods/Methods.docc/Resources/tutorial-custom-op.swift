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
