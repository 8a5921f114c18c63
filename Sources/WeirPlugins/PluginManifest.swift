import Foundation
public import WeirPipeline
import WeirValues
import Yams

/// An out-of-process plugin as `plugins/<name>/plugin.yaml` declares it:
///
/// ```yaml
/// name: mask_pii
/// kind: transform                      # source | transform | sink
/// command: ["python3", "mask.py"]      # started in the plugin's folder
/// description: masks IP and e-mail addresses
/// options:                             # optional: what `weir validate` checks
///   fields: { type: list, default: [message], description: fields to mask }
/// ```
///
/// Option types are `PluginOptionType`'s: `string`, `integer`, `number`, `boolean`,
/// `list` and `object`.
public struct PluginManifest: Sendable {
    public var name: String
    public var kind: ComponentKind
    public var command: [String]
    public var description: String
    /// Its own options, each with its type, and its default and description if any.
    public var options: [OptionSpec]
    /// The folder holding plugin.yaml.
    public var directory: String

    /// The manifest in `directory`, or every problem with its position.
    public static func load(directory: String) -> (PluginManifest?, [Diagnostic]) {
        let path = directory + "/plugin.yaml"
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            return (nil, [Diagnostic(file: path, line: 1, column: 1, message: "the file cannot be read as UTF-8 text")])
        }
        var checker = Checker(file: path, catalog: ComponentRegistry(), environment: [:])
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            return (nil, [checker.diagnostic(for: error)])
        } catch {
            return (nil, [Diagnostic(file: path, line: 1, column: 1, message: "not valid YAML: \(error)")])
        }
        guard let root else { return (nil, [Diagnostic(file: path, line: 1, column: 1, message: "the manifest is empty")]) }
        let manifest = checker.manifest(root, directory: directory)
        return (checker.diagnostics.isEmpty ? manifest : nil, checker.diagnostics.sorted())
    }

}

extension Checker {
    static let manifestKeys = ["name", "kind", "command", "description", "options"]
    static let optionKeys = ["type", "required", "default", "description"]

    mutating func manifest(_ root: Node, directory: String) -> PluginManifest? {
        let fields = entries(root, "the manifest") ?? []
        for entry in fields where !Self.manifestKeys.contains(entry.key) {
            report(
                entry.keyNode,
                "unknown key '\(entry.key)'\(suggestion(for: entry.key, among: Self.manifestKeys)); a plugin.yaml has \(Self.manifestKeys.joined(separator: ", "))"
            )
        }
        func field(_ name: String) -> Node? { fields.first { $0.key == name }?.value }
        var manifest = PluginManifest(name: "", kind: .transform, command: [], description: "", options: [], directory: directory)
        if let node = field("name"), let name = string(node, "name") {
            if name.range(of: "^[A-Za-z][A-Za-z0-9_-]*$", options: .regularExpression) == nil {
                report(node, "plugin name '\(name)' must start with a letter and use letters, digits, '_' and '-'")
            }
            manifest.name = name
        } else if field("name") == nil {
            report(root, "a plugin.yaml needs a name")
        }
        if let node = field("kind"), let kind = string(node, "kind") {
            if let known = ComponentKind(rawValue: kind) {
                manifest.kind = known
            } else {
                report(node, "kind must be source, transform or sink, not '\(kind)'")
            }
        } else if field("kind") == nil {
            report(root, "a plugin.yaml needs a kind: source, transform or sink")
        }
        if let node = field("command") {
            manifest.command = stringList(node, "command") ?? []
            if manifest.command.isEmpty { report(node, "command must name the program to start") }
        } else {
            report(root, "a plugin.yaml needs a command, for example [\"python3\", \"plugin.py\"]")
        }
        if let node = field("description") { manifest.description = string(node, "description") ?? "" }
        if let node = field("options") {
            for entry in entries(node, "options") ?? [] {
                if (ComponentRegistry.commonOptions(manifest.kind) + PluginManifest.commonOptions).contains(where: { $0.name == entry.key })
                {
                    report(entry.keyNode, "option '\(entry.key)' is one every \(manifest.kind.rawValue) has; a plugin cannot declare it")
                }
                manifest.options.append(option(entry.key, entry.value))
            }
        }
        return manifest
    }

    /// One option of `options:` — `{ type: integer, default: 500, description: … }`; its
    /// default must be of its type.
    mutating func option(_ name: String, _ node: Node) -> OptionSpec {
        var spec = OptionSpec(name, .plugin(.string))
        let parts = entries(node, "option '\(name)'") ?? []
        for part in parts where !Self.optionKeys.contains(part.key) {
            report(
                part.keyNode,
                "unknown key '\(part.key)' in option '\(name)'\(suggestion(for: part.key, among: Self.optionKeys)); it takes \(Self.optionKeys.joined(separator: ", "))"
            )
        }
        func part(_ key: String) -> Node? { parts.first { $0.key == key }?.value }
        var type = PluginOptionType.string
        if let node = part("type"), let text = string(node, "type of option '\(name)'") {
            if let known = PluginOptionType.named(text) {
                type = known
            } else {
                report(
                    node,
                    "type of option '\(name)' must be one of \(PluginOptionType.names), not '\(text)'\(suggestion(for: text, among: PluginOptionType.allCases.map(\.rawValue)))"
                )
            }
        }
        spec.kind = .plugin(type)
        if let node = part("required"), let flag = bool(node, "required of option '\(name)'") {
            spec.required = flag
        }
        if let node = part("default") {
            spec.defaultValue = value(node, as: type, "default of option '\(name)'")
            if spec.required { report(node, "option '\(name)' is required, so a default would never be used; drop one of them") }
        }
        if let node = part("description") { spec.description = string(node, "description of option '\(name)'") }
        return spec
    }
}
