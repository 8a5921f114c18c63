import Foundation

/// Writes `yaml` to the file `name` in `directory` and runs it with `weir run --once`,
/// the data directory `data/` in `directory` (see `runPipeline(at:data:)`).
package func runPipeline(
    _ yaml: String, named name: String = "p.yaml", in directory: TemporaryDirectory, quiet: Bool = true,
    arguments: [String] = [], environment: [String: String] = [:]
) throws -> CommandResult {
    try runPipeline(
        at: try directory.write(name, yaml), data: directory.path + "/data", quiet: quiet,
        arguments: arguments, environment: environment)
}

/// `weir run --once` on pipeline files with `data` as its data directory: with `--quiet`
/// unless `quiet` is false, and `arguments`.
package func runPipeline(
    at pipelines: String..., data: String, quiet: Bool = true, arguments: [String] = [],
    environment: [String: String] = [:]
) throws -> CommandResult {
    try runPipeline(at: pipelines, data: data, quiet: quiet, arguments: arguments, environment: environment)
}

/// `weir run --once` on pipeline files with `data` as its data directory: with `--quiet`
/// unless `quiet` is false, and `arguments`.
package func runPipeline(
    at pipelines: [String], data: String, quiet: Bool = true, arguments: [String] = [],
    environment: [String: String] = [:]
) throws -> CommandResult {
    try run(
        Paths.weir, ["run", "--once"] + (quiet ? ["--quiet"] : []) + ["--data-dir", data] + arguments + pipelines,
        environment: environment)
}
