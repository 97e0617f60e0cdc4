/// The built-in methods, in listing order. Each entry is defined beside its method (`X.entry`),
/// exactly as a user's method is registered; adding a built-in adds one line here.
public enum BuiltinMethods {
    public static var all: [MethodRegistry.Entry] {
        [
            ClassActivationMap.entry, GradCAM.entry, GradCAMPlusPlus.entry, XGradCAM.entry, HiResCAM.entry,
            LayerCAM.entry, EigenCAM.entry, ScoreCAM.entry, AblationCAM.entry, GroupCAM.entry,
            RelevanceCAM.entry, CFCAM.entry, FAM.entry, GuidedGradCAM.entry,
            Saliency.entry, InputXGradient.entry, IntegratedGradients.entry, SmoothGrad.entry, Occlusion.entry, RISE.entry,
            InputRelevance.lrpEntry, InputRelevance.clrpEntry, InputRelevance.sglrpEntry, RawGradient.entry,
            GuidedBackprop.entry,
        ]
    }
}
