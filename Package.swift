// swift-tools-version:6.1
import PackageDescription

// Module graph: each target's direct dependencies, which are exactly the modules it imports
// (scripts/check-imports, run by scripts/test, fails on any difference). Data flows one way:
//
//   CPNG, CInotifyTools   system libraries (libpng-dev, libinotifytools0-dev)
//   CPNGShim              <- CPNG: owns libpng's setjmp so longjmp never crosses Swift
//   CLinuxShim            Linux calls Glibc hides behind _GNU_SOURCE (F_SETLEASE, thread names)
//   VisdropFileSystem     <- CLinuxShim: POSIX file operations (no-follow reads, atomic writes)
//   VisdropJSON           (none): JSON value, parser, Python-compatible writer
//   VisdropNPY            (none): .npy reader and writer
//   VisdropPNG            <- CPNGShim, VisdropNPY: array -> pixels -> PNG
//   VisdropConfigText     <- VisdropJSON, Yams: JSON/YAML value -> mmengine-style config.py text
//   VisdropBackend        <- VisdropJSON, VisdropNPY, VisdropPNG, VisdropConfigText,
//                            VisdropFileSystem, Logging: the LocalVisBackend API, the one library
//                            product; re-exports the modules whose types its API uses
//   VisdropAgent          <- VisdropBackend and the modules above it uses, CInotifyTools,
//                            CLinuxShim, Logging, ServiceLifecycle, Yams, Histogram, CoreMetrics: the
//                            agent (its metrics go through the swift-metrics facade)
//   VisdropViewer         <- VisdropFileSystem, VisdropJSON, Hummingbird, HTTPTypes, NIOCore, NIOPosix,
//                            Logging, ServiceLifecycle:
//                            `visdrop serve`, the read-only web view of a tree of save_dirs (only the
//                            executable depends on it, so the library's users never build Hummingbird)
//   visdrop               <- VisdropAgent, VisdropViewer, ArgumentParser, Logging, ServiceLifecycle,
//                            CoreMetrics, Prometheus: the executable (bootstraps logging and metrics)
//
// Every Swift target builds with InternalImportsByDefault: an import is internal unless it is
// marked `public import` (the module's types appear in the target's public API).
let swiftSettings: [SwiftSetting] = [.enableUpcomingFeature("InternalImportsByDefault")]

let package = Package(
    name: "visdrop",
    products: [
        .executable(name: "visdrop", targets: ["visdrop"]),
        .library(name: "VisdropBackend", targets: ["VisdropBackend"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // Latency percentiles: the agent's summary log lines and the benchmark.
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        // `visdrop serve`: the HTTP server (its optional swift-configuration support left out).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // The agent's metrics: recorded through the swift-metrics facade, rendered by Prometheus
        // (only the executable bootstraps it, for `watch --serve`'s /metrics).
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
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
        .target(name: "VisdropFileSystem", dependencies: ["CLinuxShim"], swiftSettings: swiftSettings),
        .target(name: "VisdropJSON", swiftSettings: swiftSettings),
        .target(name: "VisdropNPY", swiftSettings: swiftSettings),
        .target(name: "VisdropPNG", dependencies: ["CPNGShim", "VisdropNPY"], swiftSettings: swiftSettings),
        .target(
            name: "VisdropConfigText",
            dependencies: ["VisdropJSON", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "VisdropBackend",
            dependencies: [
                "VisdropJSON", "VisdropNPY", "VisdropPNG", "VisdropConfigText", "VisdropFileSystem",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "VisdropAgent",
            dependencies: [
                "VisdropBackend", "VisdropConfigText", "VisdropFileSystem", "VisdropJSON", "VisdropNPY",
                "VisdropPNG", "CInotifyTools", "CLinuxShim",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                // The info summary's latency percentiles.
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "VisdropViewer",
            dependencies: [
                "VisdropFileSystem", "VisdropJSON",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The page, compiled into the binary: it works offline, from any install location.
            resources: [
                .embedInCode("Page/index.html"), .embedInCode("Page/viewer.js"),
                .embedInCode("Page/viewer.css"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "visdrop",
            dependencies: [
                "VisdropAgent", "VisdropViewer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // `scripts/bench`: drives the release agent and a Python peer end to end; not a test.
        .executableTarget(
            name: "visdrop-bench",
            dependencies: [
                "VisdropBackend", "VisdropFileSystem", "VisdropJSON", "VisdropNPY", "VisdropPNG",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/VisdropBench",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VisdropFileSystemTests", dependencies: ["VisdropFileSystem"], swiftSettings: swiftSettings),
        .testTarget(
            name: "VisdropJSONTests", dependencies: ["VisdropJSON"], resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "VisdropNPYTests", dependencies: ["VisdropNPY"], resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "VisdropPNGTests", dependencies: ["VisdropPNG", "VisdropNPY"],
            resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(
            name: "VisdropConfigTextTests", dependencies: ["VisdropConfigText", "VisdropJSON"],
            resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(
            name: "VisdropBackendTests",
            dependencies: ["VisdropBackend", "VisdropJSON", "VisdropNPY", "VisdropPNG"],
            resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(
            name: "VisdropAgentTests",
            dependencies: [
                "VisdropAgent", "VisdropFileSystem", "VisdropJSON", "VisdropNPY", "VisdropPNG",
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        // The viewer against the real `visdrop serve` binary on a loopback port (Tests/browser: the page).
        .testTarget(
            name: "VisdropViewerTests",
            resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
    ]
)
