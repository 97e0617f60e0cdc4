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
