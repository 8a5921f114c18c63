import Foundation
import Metrics
import Synchronization
import WeirLog

/// `weir_transform_state_bytes`: the size of each stateful transform's state of each input
/// partition, as committed with the sink's offsets — what a member holds, and what each
/// commit writes (the state is written whole). Set at every batch a member carries.
final class TransformStateGauges: Sendable {
    private let pipeline: String
    private let sink: String
    private let gauges = Mutex<[String: Gauge]>([:])

    init(pipeline: String, sink: String) {
        self.pipeline = pipeline
        self.sink = sink
    }

    /// Records `state` (transform id → bytes) of `partition`; a transform with no state
    /// there (nothing open) is 0.
    func record(_ state: [String: Data], transforms: some Sequence<String>, of partition: TopicPartition) {
        for id in transforms {
            gauge(id, partition).record(state[id]?.count ?? 0)
        }
    }

    private func gauge(_ transform: String, _ partition: TopicPartition) -> Gauge {
        let name = "\(transform)\u{0}\(partition.topic)\u{0}\(partition.partition)"
        return gauges.withLock { gauges in
            if let gauge = gauges[name] { return gauge }
            let gauge = Gauge(
                label: "weir_transform_state_bytes",
                dimensions: [
                    ("pipeline", pipeline), ("component", transform), ("sink", sink), ("topic", partition.topic),
                    ("partition", String(partition.partition)),
                ])
            gauges[name] = gauge
            return gauge
        }
    }
}
