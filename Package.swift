// swift-tools-version:6.1
import PackageDescription

// Module graph (data flows one way, top to bottom):
//
//   CPNG, CInotifyTools        system libraries (libpng-dev, libinotifytools0-dev)
//   CPNGShim                   owns libpng's setjmp so longjmp never crosses Swift
//   CLinuxShim                 Linux calls Glibc hides behind _GNU_SOURCE (F_SETLEASE, thread names)
//   VisdropFileSystem          POSIX file operations (no-follow reads, atomic writes, appends)
//   VisdropJSON, VisdropNPY    pure-Swift formats, no dependencies
//   VisdropPNG                 array -> pixels -> PNG through CPNGShim
//   VisdropConfigText          JSON/YAML value -> mmengine-style config.py text
//   VisdropBackend             the LocalVisBackend API (addImage, addScalar, addScalars, addConfig)
//   VisdropAgent               drop-folder watching, classification, journal, the Service
//   visdrop                    the executable: argument parsing only
let package = Package(
    name: "visdrop",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "visdrop", targets: ["visdrop"]),
        .library(name: "VisdropBackend", targets: ["VisdropBackend"]),
        .library(name: "VisdropAgent", targets: ["VisdropAgent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // Latency percentiles: the agent's summary log lines and the benchmark.
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CPNG",
            pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]
        ),
        .systemLibrary(
            name: "CInotifyTools",
            providers: [.apt(["libinotifytools0-dev"])]
        ),
        // zlib: crc32_z and adler32_z (libpng links it, but only for itself).
        .target(name: "CPNGShim", dependencies: ["CPNG"], linkerSettings: [.linkedLibrary("z")]),
        .target(name: "CLinuxShim"),
        .target(name: "VisdropFileSystem", dependencies: ["CLinuxShim"]),
        .target(name: "VisdropJSON"),
        .target(name: "VisdropNPY"),
        .target(name: "VisdropPNG", dependencies: ["CPNGShim", "VisdropNPY"]),
        .target(
            name: "VisdropConfigText",
            dependencies: ["VisdropJSON", .product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "VisdropBackend",
            dependencies: [
                "VisdropJSON", "VisdropNPY", "VisdropPNG", "VisdropConfigText", "VisdropFileSystem",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "VisdropAgent",
            dependencies: [
                "VisdropBackend", "VisdropFileSystem", "CInotifyTools", "CLinuxShim",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                // The info summary's latency percentiles.
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        .executableTarget(
            name: "visdrop",
            dependencies: [
                "VisdropAgent",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // `scripts/bench`: drives the release agent and a Python peer end to end; not a test.
        .executableTarget(
            name: "visdrop-bench",
            dependencies: [
                "VisdropBackend", "VisdropFileSystem", "VisdropJSON", "VisdropNPY", "VisdropPNG",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/VisdropBench"
        ),
        .testTarget(name: "VisdropFileSystemTests", dependencies: ["VisdropFileSystem"]),
        .testTarget(name: "VisdropJSONTests", dependencies: ["VisdropJSON"], resources: [.copy("Fixtures")]),
        .testTarget(name: "VisdropNPYTests", dependencies: ["VisdropNPY"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "VisdropPNGTests", dependencies: ["VisdropPNG", "VisdropNPY"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "VisdropConfigTextTests", dependencies: ["VisdropConfigText", "VisdropJSON"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "VisdropBackendTests",
            dependencies: ["VisdropBackend", "VisdropJSON", "VisdropNPY", "VisdropPNG"],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "VisdropAgentTests",
            dependencies: ["VisdropAgent", "VisdropBackend", "VisdropJSON", "VisdropPNG", "VisdropNPY"],
            resources: [.copy("Fixtures")]),
    ]
)
