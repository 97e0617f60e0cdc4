// swift-tools-version:6.2
// A sample cfcam plugin: a custom op with its forward, VJP and LRP role, an LRP composite, an extra
// method, a target syntax and an importer for a toy model format. Build it, then load it:
//   swift build --package-path Examples/SwishPlugin
//   cfcam --plugin Examples/SwishPlugin/.build/debug/libSwishPlugin.so plugins
import PackageDescription

let package = Package(
    name: "SwishPlugin",
    products: [
        .library(name: "SwishPlugin", type: .dynamic, targets: ["SwishPlugin"]),
        // For cfcam's own tests (not an example to copy): throws while registering, or replaces
        // the sample's registrations (Sources/TestPlugin).
        .library(name: "TestPlugin", type: .dynamic, targets: ["TestPlugin"]),
    ],
    dependencies: [
        // A plugin depends on cfcam's CFCAMKit product (the library as one shared object).
        .package(name: "cfcam", path: "../.."),
    ],
    targets: [
        .target(name: "SwishPlugin", dependencies: [.product(name: "CFCAMKit", package: "cfcam")]),
        .target(name: "TestPlugin", dependencies: [.product(name: "CFCAMKit", package: "cfcam")]),
        .testTarget(name: "SwishPluginTests", dependencies: ["SwishPlugin", .product(name: "CFCAMKit", package: "cfcam")]),
    ],
    swiftLanguageModes: [.v5]
)
