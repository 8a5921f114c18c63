import Foundation
import WeirLog
import WeirValues

/// The `generate` source: synthetic lines, for demos and benchmarks. Line n is template
/// `n mod templates` followed by ` n`; `count` lines in all (forever without it), at most
/// `rate` per second (as fast as possible without it). Its position is the number of
/// lines generated, so a restart continues the count.
struct GenerateSource: PipelineSource {
    var count: Int64?
    var rate: Int64?
    var templates: [String]

    init(options: ComponentOptions) {
        count = options.int("count")
        rate = options.int("rate")
        templates = options.strings("lines")
        if templates.isEmpty { templates = ["generated line"] }
    }

    var endlessReason: String? { count == nil ? "it has no count; give it one" : nil }

    func run(_ context: SourceContext) throws {
        let (writer, stop) = (context.writer, context.stop)
        var generated = writer.state.generated
        let started = monotonicMillis()
        let startCount = generated
        var line: [UInt8] = []
        while !stop.isSet, count.map({ generated < $0 }) ?? true {
            var chunk: Int64 = 10_000
            if let rate {
                // Lines due by now at `rate`; when none are, wait until the next is (or a stop).
                let due = startCount + (monotonicMillis() - started) * rate / 1000 - generated
                if due <= 0 {
                    // Due once (now - started) * rate ≥ (generated - startCount + 1) * 1000.
                    let need = (generated - startCount + 1) * 1000
                    let dueAt = started + need / rate + (need % rate == 0 ? 0 : 1)
                    stop.wait(until: .now + .milliseconds(max(0, dueAt - monotonicMillis())))
                    continue
                }
                chunk = min(chunk, due)
            }
            if let count { chunk = min(chunk, count - generated) }
            let now = currentTimeMillis()
            for i in 0..<chunk {
                let n = generated + i
                line.removeAll(keepingCapacity: true)
                line.append(contentsOf: templates[Int(n % Int64(templates.count))].utf8)
                line.append(0x20)
                line.append(contentsOf: String(n).utf8)
                try line.withUnsafeBytes {
                    try writer.add($0, timestamp: now, position: i == chunk - 1 ? .generated(n + 1) : nil)
                }
            }
            generated += chunk
            // Collects acknowledgements and, once a second, checkpoints.
            try writer.flush()
        }
        try writer.flush(force: true)
    }
}
