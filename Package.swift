// swift-tools-version: 6.1
import PackageDescription

let upcoming: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Weir",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "WeirLog", targets: ["WeirLog"]),
        .library(name: "WeirValues", targets: ["WeirValues"]),
        .library(name: "WeirPipeline", targets: ["WeirPipeline"]),
        .library(name: "WeirPlugins", targets: ["WeirPlugins"]),
        .library(name: "WeirServer", targets: ["WeirServer"]),
        .library(name: "WeirKafkaCodec", targets: ["WeirKafkaCodec"]),
        .library(name: "WeirKafka", targets: ["WeirKafka"]),
        .library(name: "WeirRdKafka", targets: ["WeirRdKafka"]),
        .library(name: "WeirCluster", targets: ["WeirCluster"]),
        .executable(name: "weir", targets: ["weir"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // HTTP for --http (metrics, health, the API); no TLS, HTTP/2 or configuration traits.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        // Already under Hummingbird: named for a clean shutdown and bind errors.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // The Kafka listener's SCRAM-SHA-256 (SHA-256, HMAC, PBKDF2) and TLS.
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // The `postgres` sink's driver (a maintained client: no wire protocol of Weir's).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // libdeflate (Debian's libdeflate-dev): gzip batches compressed and inflated whole,
        // 1.6x and 2.7x faster than zlib on log lines (zlib stays for zlib framing and as
        // the fallback).
        .systemLibrary(name: "CDeflate", path: "Sources/CDeflate"),
        .systemLibrary(name: "CPCRE2", path: "Sources/CPCRE2"),
        // librdkafka (Debian's librdkafka-dev): the client real Kafka clusters are used with.
        .systemLibrary(name: "CRdKafka", path: "Sources/CRdKafka"),
        .target(name: "CCRC32C", path: "Sources/CCRC32C", cSettings: [.unsafeFlags(["-O3"])]),
        // JSON string escaping sixteen bytes at a time (SSE2), for the JSON writer's hot path.
        .target(name: "CJSONText", path: "Sources/CJSONText", cSettings: [.unsafeFlags(["-O3"])]),
        .target(
            name: "WeirLog",
            dependencies: [
                "CZlib",
                "CDeflate",
                "CCRC32C",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: upcoming
        ),
        // Values, JSON, regexes and the expression language: nothing of pipelines or the log.
        .target(name: "WeirValues", dependencies: ["CPCRE2", "CJSONText"], swiftSettings: upcoming),
        .target(
            name: "WeirPipeline",
            dependencies: [
                "WeirLog",
                "WeirRdKafka",
                "WeirValues",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "SystemPackage", package: "swift-system"),
                // The network sources (`syslog`): listeners on event loops.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: upcoming
        ),
        // Out-of-process plugins: manifests, discovery, processes, workers, the wire format.
        .target(
            name: "WeirPlugins",
            dependencies: [
                "WeirLog",
                "WeirValues",
                "WeirPipeline",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "WeirServer",
            dependencies: [
                "WeirLog",
                "WeirPipeline",
                "WeirValues",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: upcoming
        ),
        // The Kafka protocol's request/response codec, one file per API (no TLS: the fuzz
        // targets build it without the two BoringSSL copies).
        .target(
            name: "WeirKafkaCodec",
            dependencies: ["WeirLog", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: upcoming
        ),
        // The listener that serves the embedded log to Kafka clients, and the CLI's client.
        .target(
            name: "WeirKafka",
            dependencies: [
                "WeirLog",
                "WeirKafkaCodec",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: upcoming
        ),
        // A small Swift wrapper over librdkafka's C API: producer, group consumer, admin.
        .target(
            name: "WeirRdKafka",
            dependencies: ["CRdKafka", "WeirLog", .product(name: "Logging", package: "swift-log")],
            swiftSettings: upcoming
        ),
        // Weir and Kafka clusters: the `kafka` source and sink types.
        .target(
            name: "WeirCluster",
            dependencies: [
                "WeirRdKafka", "WeirPipeline", "WeirLog", "WeirValues", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        // The `postgres` sink: rows and input offsets committed in one transaction.
        .target(
            name: "WeirPostgres",
            dependencies: [
                "WeirPipeline", "WeirLog", "WeirValues", .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: upcoming
        ),
        // TLS for the `syslog` source (the built-in one refuses `tls`): swift-nio-ssl in
        // a target of its own, so WeirPipeline and the fuzz builds stay without BoringSSL.
        .target(
            name: "WeirSyslogTLS",
            dependencies: [
                "WeirPipeline", "WeirValues", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "DedupePlugin",
            dependencies: ["WeirPipeline", "WeirValues"],
            path: "Examples/DedupePlugin",
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "weir",
            dependencies: [
                "WeirLog",
                "WeirPipeline",
                "WeirValues",
                "WeirPlugins",
                "WeirServer",
                "WeirKafka",
                "WeirCluster",
                "WeirPostgres",
                "WeirSyslogTLS",
                "DedupePlugin",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        .executableTarget(
            name: "weir-bench",
            dependencies: ["WeirLog"],
            path: "Benchmarks/WeirBench",
            swiftSettings: upcoming
        ),
        // What the test targets share (temporary directories, spawning `weir`, reading the
        // log back), at `package` access: not a product, not public API.
        .target(name: "WeirTestSupport", dependencies: ["WeirLog"], path: "Tests/WeirTestSupport", swiftSettings: upcoming),
        // The suites that spawn `weir` depend on it, so it is built beside the test bundle.
        .testTarget(
            name: "WeirLogTests",
            dependencies: ["WeirLog", "CZlib", "WeirTestSupport", "weir"],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "WeirServerTests",
            dependencies: ["WeirServer", "WeirPipeline", "WeirLog", "WeirTestSupport", "weir"],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "WeirEndToEndTests",
            dependencies: ["WeirLog", "WeirTestSupport", "weir"],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "WeirKafkaTests",
            dependencies: ["WeirKafka", "WeirKafkaCodec", "WeirLog", "WeirRdKafka", "WeirTestSupport", "weir"],
            resources: [.copy("Fixtures")],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "WeirValuesTests",
            dependencies: ["WeirValues", "WeirTestSupport"],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "WeirPluginsTests",
            dependencies: ["WeirPlugins", "WeirPipeline", "WeirValues"],
            swiftSettings: upcoming
        ),
        // Against a PostgreSQL server each suite starts (Debian's postgresql-15).
        .testTarget(
            name: "WeirPostgresTests",
            dependencies: [
                "WeirPostgres", "WeirPipeline", "WeirValues", "WeirLog", "WeirTestSupport", "weir",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "WeirPipelineTests",
            dependencies: [
                "WeirPipeline", "WeirValues", "WeirLog", "DedupePlugin", "WeirSyslogTLS", "WeirTestSupport",
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
    ],
    swiftLanguageModes: [.v6]
)
