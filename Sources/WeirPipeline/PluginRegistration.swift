import WeirLog
import WeirValues

/// How an out-of-process plugin joins the registry: its spec (its own options plus the
/// options every plugin takes) and a factory that runs it.
extension PluginManifest {
    /// Options of every out-of-process plugin, handled by Weir and not sent to it.
    static let commonOptions = [
        OptionSpec("timeout_ms", .integer(1...3_600_000)), OptionSpec("max_attempts", .integer(1...100)),
    ]

    /// The component type a pipeline names it by.
    var spec: ComponentSpec {
        ComponentSpec(type: name, kind: kind, summary: description, options: options + Self.commonOptions, origin: directory + "/plugin.yaml")
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

    /// The component's own options as a JSON object (the ones Weir handles left out).
    static func optionsJSON(_ options: ComponentOptions) -> [UInt8] {
        let handled = Set((ComponentRegistry.commonOptions(options.component.kind) + commonOptions).map(\.name))
        var json: [UInt8] = []
        Value.object(options.component.options.filter { !handled.contains($0.key) }).writeJSON(into: &json)
        return json
    }

    /// The first line a transform or sink plugin reads.
    static func initLine(_ options: ComponentOptions) -> [UInt8] {
        var line = Array(#"{"type":"init","pipeline":"#.utf8)
        Value.writeJSONString(options.pipeline, into: &line)
        line += Array(#","component":"#.utf8)
        Value.writeJSONString(options.id, into: &line)
        line += Array(#","options":"#.utf8) + optionsJSON(options) + Array("}\n".utf8)
        return line
    }

    /// The records a reply names in `"failed":[{"index":i,"error":"…"}]`, by index
    /// (indexes outside the batch are ignored).
    static func failures(in reply: [String: Value], batchSize: Int) -> [Int: String] {
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

    /// A batch cut into requests of `requestSize`.
    static func requests(_ batch: [PipelineRecord]) -> [Range<Int>] {
        stride(from: 0, to: batch.count, by: requestSize).map { $0..<min($0 + requestSize, batch.count) }
    }
}
