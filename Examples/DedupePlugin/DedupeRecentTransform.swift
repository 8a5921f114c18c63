import Synchronization
public import WeirPipeline
import WeirValues

/// `dedupe_recent`: drops a record whose field equals that field of one of the last `window`
/// records kept — the repeated lines a restarted daemon or a retrying client writes.
/// Records without the field pass.
///
/// A Swift plugin, written against Weir's public API only: this target imports
/// `WeirPipeline` and nothing of its internals (docs/plugins.md walks through it). The
/// built-in `dedupe` does more (keys of several fields or an expression, windows of event
/// time, state kept across restarts); this one stays the example of a plugin.
public final class DedupeRecentTransform: RecordTransform {
    public let field: String
    public let window: Int
    /// Members call `process` at once (`parallelism`): the memory of recent values is shared.
    private let recent = Mutex(Recent())

    struct Recent {
        var seen: Set<Value> = []
        /// The kept values in order, to forget the oldest.
        var order: [Value] = []
        var next = 0
    }

    public init(field: String, window: Int) {
        self.field = field
        self.window = window
    }

    public func process(_ batch: [PipelineRecord]) -> TransformResult {
        var result = TransformResult()
        recent.withLock { recent in
            for record in batch {
                guard let value = record[field: field] else {
                    result.emit(record)
                    continue
                }
                guard !recent.seen.contains(value) else { continue }
                recent.seen.insert(value)
                if recent.order.count < window {
                    recent.order.append(value)
                } else {
                    recent.seen.remove(recent.order[recent.next])
                    recent.order[recent.next] = value
                    recent.next = (recent.next + 1) % window
                }
                result.emit(record)
            }
        }
        return result
    }
}

extension DedupeRecentTransform {
    /// What `weir validate` checks and `weir plugins list` shows.
    public static let spec = ComponentSpec(
        type: "dedupe_recent", kind: .transform, summary: "drops a record whose field repeats one of the last N",
        options: [OptionSpec("field", .string), OptionSpec("window", .integer(1...10_000_000))],
        origin: "Swift plugin (Examples/DedupePlugin)")

    /// Adds `dedupe_recent` to a registry.
    public static func register(in registry: inout ComponentRegistry) {
        registry.register(
            spec,
            transform: { options in
                let field = options.string("field") ?? "message"
                // Beyond the option's type: `weir validate` reports this at the option.
                guard !field.isEmpty else { throw options.invalid("field", "must name a field") }
                return DedupeRecentTransform(field: field, window: Int(options.int("window") ?? 10_000))
            })
    }
}
