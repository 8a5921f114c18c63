import Foundation
public import WeirPipeline
import WeirValues

/// Finds out-of-process plugins: every `<dir>/<name>/plugin.yaml` under, in this order,
/// each `--plugins-dir`, the folders of `WEIR_PLUGINS_PATH` (colon-separated) and the
/// `plugins/` folder beside each pipeline file. The first plugin of a name wins; a name
/// found again later, or one a built-in already has, is an error with both places.
public struct PluginDiscovery: Sendable {
    public var manifests: [PluginManifest] = []
    public var diagnostics: [Diagnostic] = []

    /// The registry the plugins are added to (the built-ins, and any Swift plugins).
    public let base: ComponentRegistry

    /// - Parameter environment: where `WEIR_PLUGINS_PATH` is read; the process's when nil.
    public init(
        pluginsDirectories: [String], pipelineFiles: [String], environment: [String: String]? = nil,
        base: ComponentRegistry = .builtIn
    ) {
        self.base = base
        let environment = environment ?? ProcessInfo.processInfo.environment
        var folders: [String] = []
        folders += pluginsDirectories
        if let path = environment["WEIR_PLUGINS_PATH"] { folders += path.split(separator: ":").map(String.init) }
        for file in pipelineFiles { folders.append(URL(fileURLWithPath: file).deletingLastPathComponent().path + "/plugins") }
        var seenFolders = Set<String>()
        for folder in folders {
            let resolved = URL(fileURLWithPath: folder).standardizedFileURL.resolvingSymlinksInPath().path
            guard seenFolders.insert(resolved).inserted else { continue }
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: resolved)) ?? []).sorted()
            for name in names where FileManager.default.fileExists(atPath: "\(resolved)/\(name)/plugin.yaml") {
                let (manifest, problems) = PluginManifest.load(directory: "\(resolved)/\(name)")
                diagnostics += problems
                guard let manifest else { continue }
                if base.spec(manifest.kind, manifest.name) != nil {
                    diagnostics.append(
                        Diagnostic(
                            file: "\(resolved)/\(name)/plugin.yaml", line: 1, column: 1,
                            message: "plugin '\(manifest.name)' has the name of a built-in \(manifest.kind.rawValue); rename it"))
                } else if let earlier = manifests.first(where: { $0.name == manifest.name && $0.kind == manifest.kind }) {
                    diagnostics.append(
                        Diagnostic(
                            file: "\(resolved)/\(name)/plugin.yaml", line: 1, column: 1,
                            message: "plugin '\(manifest.name)' is already defined by \(earlier.directory)/plugin.yaml"))
                } else {
                    manifests.append(manifest)
                }
            }
        }
    }

    /// The base registry plus these plugins, each run out of process.
    public var registry: ComponentRegistry {
        var registry = base
        for manifest in manifests { manifest.register(in: &registry) }
        return registry
    }
}
