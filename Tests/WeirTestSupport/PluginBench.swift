import Foundation
import WeirLog

/// A folder with `plugins/<name>/` (a plugin.yaml and a Python program that may import
/// the repository's weir_plugin helper), an input file of numbered lines and a pipeline.
package struct PluginBench {
    package let directory = TemporaryDirectory()
    package var root: String { directory.path }
    package var pipeline: String { root + "/p.yaml" }
    package var data: String { root + "/data" }

    package init() {}

    package func plugin(_ name: String, kind: String, options: String = "", python: String) throws {
        try directory.write(
            "plugins/\(name)/plugin.yaml",
            """
            name: \(name)
            kind: \(kind)
            command: ["python3", "-u", "\(name).py"]
            description: a plugin made by a test
            \(options.isEmpty ? "" : "options:\n" + options)
            """)
        let preamble =
            "import json, os, sys, time\nsys.path.insert(0, \(String(reflecting: Paths.packageRoot + "/plugins")))\nimport weir_plugin\n"
        try directory.write("plugins/\(name)/\(name).py", preamble + python)
    }

    /// `count` lines `line 0`, `line 1`, … in in.log.
    package func input(_ count: Int) throws {
        try directory.write("in.log", (0..<count).map { "line \($0)\n" }.joined())
    }

    package func write(_ yaml: String) throws {
        try directory.write("p.yaml", yaml)
    }

    /// Changes the pipeline file: `text` becomes `replacement`.
    package func edit(_ text: String, _ replacement: String) throws {
        try write(try String(contentsOfFile: pipeline, encoding: .utf8).replacingOccurrences(of: text, with: replacement))
    }

    /// `weir run --once --quiet` on the pipeline, with `extra` arguments.
    package func run(_ extra: [String] = []) throws -> CommandResult {
        try runPipeline(at: pipeline, data: data, arguments: extra)
    }

    package func output(_ name: String = "out.txt") throws -> [String] {
        guard FileManager.default.fileExists(atPath: root + "/" + name) else { return [] }
        return lines(of: try Data(contentsOf: URL(fileURLWithPath: root + "/" + name)))
    }

    /// The dead letters of pipeline `p`: value and reason of each.
    package func deadLetters() throws -> [(value: String, reason: String)] {
        let log = try EmbeddedLog(directory: data)
        defer { try? log.close() }
        guard let topic = try? log.topic("p.dlq") else { return [] }
        return try readAll(topic).map { consumed in
            let record = consumed.record
            let reason = record.headers.first { $0.key == "weir.reason" }?.value.map { String(decoding: $0, as: UTF8.self) } ?? ""
            return (String(decoding: record.value ?? [], as: UTF8.self), reason)
        }
    }
}
