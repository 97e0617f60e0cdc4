// swift-tools-version:6.2
// cfcam: explain what image models look at.
import PackageDescription

let package = Package(
    name: "cfcam",
    products: [
        .library(name: "Graph", targets: ["Graph"]),
        .library(name: "Importers", targets: ["Importers"]),
        .library(name: "Rules", targets: ["Rules"]),
        .library(name: "Methods", targets: ["Methods"]),
        .library(name: "Runs", targets: ["Runs"]),
        .library(name: "Plugins", targets: ["Plugins"]),
        // What a plugin package depends on: the whole library as one shared object, so a plugin
        // carries none of it and binds to the running cfcam's copy (docs/plugins.md).
        .library(name: "CFCAMKit", type: .dynamic, targets: ["CFCAMPluginABI", "Graph", "Rules", "Importers", "Methods", "Plugins"]),
        .executable(name: "cfcam", targets: ["cfcam"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `swift package generate-documentation --target <Module>`: the DocC catalogs in
        // Sources/<Module>/<Module>.docc (docs/documentation.md).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // MARK: C shims (system libraries found by pkg-config)
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZip", path: "Sources/CZip", pkgConfig: "libzip",
                       providers: [.apt(["libzip-dev"])]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG", pkgConfig: "libturbojpeg",
                       providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CWebP", path: "Sources/CWebP", pkgConfig: "libwebp",
                       providers: [.apt(["libwebp-dev"])]),
        // PNG decode/encode on libpng's low-level API; its setjmp/longjmp error handling stays in C.
        .target(name: "CPNGCodec", dependencies: ["CPNG"], path: "Sources/CPNGCodec"),
        // protoc-c output for Sources/ONNXProto/onnx-subset.proto (scripts/regen-onnx-proto.sh)
        .target(name: "ONNXProto", path: "Sources/ONNXProto",
                exclude: ["onnx-subset.proto"],
                linkerSettings: [.linkedLibrary("protobuf-c")]),

        // Small C helpers (spin-wait pause).
        .target(name: "CShims", path: "Sources/CShims"),
        // cfcam's AVX-512 SGEMM for convolutions (ISA chosen per function and checked at run time).
        // Always optimised, so debug builds and tests run the same fast kernel; tools 6.2+ let a
        // package that depends on cfcam accept this flag.
        .target(name: "CKernels", path: "Sources/CKernels", cSettings: [.unsafeFlags(["-O3"])]),

        // The plugin ABI: the C entry point's handle and the version numbers (header only).
        .target(name: "CFCAMPluginABI", path: "Sources/CFCAMPluginABI"),

        // MARK: Core
        .target(name: "Graph", dependencies: ["CFCAMPluginABI"], path: "Sources/Graph"),
        .target(name: "Rules", dependencies: ["Graph", "CBLAS", "CShims", "CKernels"], path: "Sources/Rules"),
        .target(name: "Importers", dependencies: ["Graph", "ONNXProto", "CZip", "CPNGCodec", "CTurboJPEG", "CWebP"], path: "Sources/Importers"),
        .target(name: "Methods", dependencies: ["Graph", "Rules"], path: "Sources/Methods"),
        // Registries as one value, the plugin interface (built-ins included) and the plugin loader.
        .target(name: "Plugins", dependencies: ["CFCAMPluginABI", "Graph", "Rules", "Importers", "Methods"], path: "Sources/Plugins"),
        // Folder runs: input sets, shards, the SQLite run index, progress, HTML reports.
        .target(name: "Runs", dependencies: ["CSQLite"], path: "Sources/Runs"),

        // MARK: CLI
        // Linked with --export-dynamic: plugins bind to the executable's copy of the library.
        .executableTarget(name: "cfcam", dependencies: [
            "Graph", "Rules", "Importers", "Methods", "Plugins", "Runs",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Sources/cfcam", linkerSettings: [.unsafeFlags(["-Xlinker", "--export-dynamic"])]),

        // MARK: Fuzzers. A plain build replays files given as arguments. libFuzzer build:
        //   swift build --sanitize=address -Xswiftc -sanitize=fuzzer -Xcc -fsanitize=fuzzer-no-link \
        //     -Xswiftc -DFUZZING --product FuzzONNX --scratch-path .build-fuzz
        .executableTarget(name: "FuzzONNX", dependencies: ["Importers"], path: "Fuzz/FuzzONNX"),
        .executableTarget(name: "FuzzNPY", dependencies: ["Importers"], path: "Fuzz/FuzzNPY"),

        // MARK: Tests
        .target(name: "TestSupport", dependencies: ["Graph", "Rules", "Importers"], path: "Tests/TestSupport"),
        .testTarget(name: "GraphTests", dependencies: ["Graph", "Rules", "TestSupport"]),
        .testTarget(name: "RulesTests", dependencies: ["Graph", "Rules", "TestSupport"]),
        .testTarget(name: "ImporterTests", dependencies: ["Graph", "Rules", "Importers", "TestSupport"]),
        .testTarget(name: "ConformanceTests", dependencies: ["Graph", "Rules", "Importers", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport"]),
        .testTarget(name: "RunsTests", dependencies: ["Runs", "TestSupport"]),
        .testTarget(name: "PluginsTests", dependencies: ["Graph", "Rules", "Importers", "Methods", "Plugins", "TestSupport"]),
        .testTarget(name: "MethodsTests", dependencies: ["Graph", "Rules", "Importers", "Methods", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
