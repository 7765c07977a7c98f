// swift-tools-version:6.0
//
// EdgeRun: on-device inference for Raspberry-Pi-class boards.
//
// Device side (must also build as Embedded Swift, see toolchains/): CEdgeKernels, CEdgePlatform,
// EdgeFormat, EdgeRuntime and the `edgerun` executable (target EdgeRunTool).
// Host side: EdgePack (importers, graph passes, quantization, planning) and `edgepack`.
import PackageDescription

let package = Package(
    name: "EdgeRun",
    products: [
        .executable(name: "edgerun", targets: ["EdgeRunTool"]),
        .executable(name: "edgepack", targets: ["EdgePackTool"]),
        .library(name: "EdgeRuntime", targets: ["EdgeRuntime"]),
        .library(name: "EdgePack", targets: ["EdgePack"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // Pure C kernels: reference (__ref) and SIMD variants, chosen at run time.
        .target(name: "CEdgeKernels", linkerSettings: [.linkedLibrary("m")]),
        // The operating-system seam of the device side: file mapping, I/O, clocks, GPIO.
        .target(name: "CEdgePlatform"),
        .target(name: "EdgeFormat", exclude: ["FORMAT.md"]),
        .target(name: "EdgeRuntime", dependencies: ["EdgeFormat", "CEdgeKernels", "CEdgePlatform"]),
        // libgpiod 1.6 (v1 API) behind a narrow C seam, and the `edgerun watch` event loop.
        .target(name: "CEdgeGPIO", linkerSettings: [.linkedLibrary("gpiod")]),
        .target(name: "EdgeWatch", dependencies: ["EdgeRuntime", "CEdgeGPIO", "CEdgePlatform"]),
        .executableTarget(name: "EdgeRunTool", dependencies: ["EdgeRuntime", "EdgeWatch"]),
        .target(
            name: "EdgePack",
            dependencies: [
                "EdgeFormat", "EdgeRuntime", "CEdgeKernels",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Import/ONNX/onnx.proto"]),
        .executableTarget(
            name: "EdgePackTool",
            dependencies: ["EdgePack", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // Counts heap allocations in tests (interposes malloc for the test process only).
        .target(name: "CEdgeTestSupport", path: "Tests/CEdgeTestSupport"),
        // Models and helpers shared by the test targets.
        .target(name: "EdgeTestSupport", dependencies: ["EdgeFormat"], path: "Tests/EdgeTestSupport"),
        .testTarget(name: "EdgeFormatTests", dependencies: ["EdgeFormat", "EdgeTestSupport"], exclude: ["Goldens"]),
        .testTarget(
            name: "EdgeRuntimeTests",
            dependencies: ["EdgeRuntime", "EdgePack", "CEdgeTestSupport", "EdgeTestSupport"],
            resources: [.copy("Goldens")]),
        .testTarget(name: "EdgePackTests", dependencies: ["EdgePack", "EdgeRuntime", "EdgeTestSupport"]),
        .testTarget(
            name: "EdgeWatchTests",
            dependencies: ["EdgeWatch", "EdgeRuntime", "CEdgeGPIO", "CEdgeTestSupport", "EdgeTestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["EdgeFormat", "EdgeTestSupport"]),
    ]
)
