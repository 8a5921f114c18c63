import WeirLog
import WeirPipeline
import WeirValues

/// How an out-of-process plugin joins the registry: its spec (its own options plus the
/// options every plugin takes) and a factory that runs it.
extension PluginManifest {
    /// Options of every out-of-process plugin, handled by Weir and not sent to it.
    static let commonOptions = [
        OptionSpec(
            "timeout_ms", .integer(1...3_600_000), default: .int(30_000),
            description: "longest wait for a reply (or for the plugin to read its stdin)"),
        OptionSpec(
            "max_attempts", .integer(1...100), default: .int(3),
            description: "refusals of a request, or crashes on requests holding a record, before those records fail"),
    ]

    /// The component type a pipeline names it by.
    var spec: ComponentSpec {
        ComponentSpec(
            type: name, kind: kind, summary: description, options: options + Self.commonOptions, origin: directory + "/plugin.yaml")
    }

    func register(in registry: inout ComponentRegistry) {
        let manifest = self
        switch kind {
        case .source:
            registry.register(spec, source: { PluginSource(manifest: manifest, settings: PluginSettings($0)) })
        case .transform:
            registry.register(spec, transform: { PluginTransform(manifest: manifest, options: $0) })
        case .sink:
            registry.register(spec, sink: { PluginSink(manifest: manifest, setup: $0) })
        }
    }

    /// The component's own options as a JSON object (the ones Weir handles left out), with
    /// the default of each one the pipeline leaves out.
    func optionsJSON(_ options: ComponentOptions) -> [UInt8] {
        let handled = Set((ComponentRegistry.commonOptions(options.component.kind) + Self.commonOptions).map(\.name))
        var sent = options.component.options.filter { !handled.contains($0.key) }
        for option in self.options where sent[option.name] == nil {
            if let value = option.defaultValue { sent[option.name] = value }
        }
        var json: [UInt8] = []
        Value.object(Fields(sent)).writeJSON(into: &json)
        return json
    }

    /// The first line a transform or sink plugin reads.
    func initLine(_ options: ComponentOptions) -> [UInt8] {
        var line = Array(#"{"type":"init","pipeline":"#.utf8)
        Value.writeJSONString(options.pipeline, into: &line)
        line += Array(#","component":"#.utf8)
        Value.writeJSONString(options.id, into: &line)
        line += Array(#","options":"#.utf8) + optionsJSON(options) + Array("}\n".utf8)
        return line
    }

    /// The records a reply names in `"failed":[{"index":i,"error":"…"}]`, by index
    /// (indexes outside the batch are ignored).
    static func failures(in reply: Fields, batchSize: Int) -> [Int: String] {
        guard case .array(let items)? = reply["failed"] else { return [:] }
        var failed: [Int: String] = [:]
        for item in items {
            guard case .object(let entry) = item, case .int(let index)? = entry["index"], index >= 0, index < batchSize else { continue }
            failed[Int(index)] = if case .string(let reason)? = entry["error"] { reason } else { "refused" }
        }
        return failed
    }

    /// Records per request: a batch goes as several, so the plugin works on one while
    /// Weir encodes the next and reads the answer to the last.
    static let requestSize = 250

    /// `{"type":"batch","id":N,"records":[…]}` and its newline.
    static func request(id: Int, _ records: ArraySlice<PipelineRecord>) -> [UInt8] {
        var line: [UInt8] = Array(#"{"type":"batch","id":\#(id),"records":["#.utf8)
        for (i, record) in records.enumerated() {
            if i > 0 { line.append(UInt8(ascii: ",")) }
            PluginWire.append(record, to: &line)
        }
        line += Array("]}\n".utf8)
        return line
    }
}
