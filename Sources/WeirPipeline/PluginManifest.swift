import Foundation
import Yams
import WeirValues

/// An out-of-process plugin as `plugins/<name>/plugin.yaml` declares it:
///
/// ```yaml
/// name: mask_pii
/// kind: transform                      # source | transform | sink
/// command: ["python3", "mask.py"]      # started in the plugin's folder
/// description: masks IP and e-mail addresses
/// options:                             # optional: what `weir validate` checks
///   fields: { type: list, required: false, description: fields to mask }
/// ```
///
/// Option types are `string`, `integer`, `bool` and `list` (of strings).
public struct PluginManifest: Sendable {
    public var name: String
    public var kind: ComponentKind
    public var command: [String]
    public var description: String
    public var options: [OptionSpec]
    /// Per option, its description.
    public var optionDescriptions: [String: String]
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
    static let optionTypes: [String: OptionKind] = [
        "string": .string, "integer": .integer(Int64.min...Int64.max), "bool": .bool, "list": .stringList,
    ]

    mutating func manifest(_ root: Node, directory: String) -> PluginManifest? {
        let fields = entries(root, "the manifest") ?? []
        for entry in fields where !Self.manifestKeys.contains(entry.key) {
            report(entry.keyNode, "unknown key '\(entry.key)'\(suggestion(for: entry.key, among: Self.manifestKeys)); a plugin.yaml has \(Self.manifestKeys.joined(separator: ", "))")
        }
        func field(_ name: String) -> Node? { fields.first { $0.key == name }?.value }
        var manifest = PluginManifest(name: "", kind: .transform, command: [], description: "", options: [], optionDescriptions: [:], directory: directory)
        if let node = field("name"), let name = string(node, "name") {
            if name.range(of: "^[A-Za-z][A-Za-z0-9_-]*$", options: .regularExpression) == nil {
                report(node, "plugin name '\(name)' must start with a letter and use letters, digits, '_' and '-'")
            }
            manifest.name = name
        } else if field("name") == nil {
            report(root, "a plugin.yaml needs a name")
        }
        if let node = field("kind"), let kind = string(node, "kind") {
            if let known = ComponentKind(rawValue: kind) { manifest.kind = known } else {
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
                var kind: OptionKind = .string
                var required = false
                for part in entries(entry.value, "option '\(entry.key)'") ?? [] {
                    switch part.key {
                    case "type":
                        guard let text = string(part.value, "type of option '\(entry.key)'") else { continue }
                        if let known = Self.optionTypes[text] { kind = known } else {
                            report(part.value, "type of option '\(entry.key)' must be string, integer, bool or list, not '\(text)'")
                        }
                    case "required":
                        required = string(part.value, "required of option '\(entry.key)'") == "true"
                    case "description":
                        manifest.optionDescriptions[entry.key] = string(part.value, "description of option '\(entry.key)'")
                    default:
                        report(part.keyNode, "unknown key '\(part.key)' in option '\(entry.key)'; it takes type, required, description")
                    }
                }
                if (ComponentRegistry.commonOptions(manifest.kind) + PluginManifest.commonOptions).contains(where: { $0.name == entry.key }) {
                    report(entry.keyNode, "option '\(entry.key)' is one every \(manifest.kind.rawValue) has; a plugin cannot declare it")
                }
                manifest.options.append(OptionSpec(entry.key, kind, required: required))
            }
        }
        return manifest
    }
}
