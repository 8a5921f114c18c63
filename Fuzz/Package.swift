// swift-tools-version: 6.0
// libFuzzer targets for Weir, kept out of the main package so `swift build` and the
// tests never build them. Fuzz/run builds them with -sanitize=fuzzer,address.
import Foundation
import PackageDescription

// A path dependency is known by its folder's name, which differs between clones.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()
let fuzzSettings: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name, dependencies: ["FuzzSupport"] + products.map { .product(name: $0, package: root) }, swiftSettings: fuzzSettings)
}

let package = Package(
    name: "WeirFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: ".."), .package(url: "https://github.com/apple/swift-nio", from: "2.101.2")],
    targets: [
        .target(name: "FuzzSupport"),
        fuzzTarget("FuzzRecordBatch", ["WeirLog"]),
        fuzzTarget("FuzzRecovery", ["WeirLog"]),
        fuzzTarget("FuzzExpression", ["WeirValues"]),
        fuzzTarget("FuzzPipelineLoader", ["WeirPipeline"]),
        fuzzTarget("FuzzParsers", ["WeirPipeline", "WeirValues"]),
        .executableTarget(
            name: "FuzzKafkaRequest",
            dependencies: ["FuzzSupport", .product(name: "WeirKafkaCodec", package: root), .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: fuzzSettings),
    ],
    swiftLanguageModes: [.v6]
)
