import Dispatch
import Metrics

/// What a partition reports through swift-metrics: appends (records, bytes, how long the
/// write took) and fsyncs. Without a metrics backend (`MetricsSystem.bootstrap`) these
/// are no-ops; `weir run --http` bootstraps Prometheus.
///
/// Each is recorded once per batch or per fsync, never per record.
struct PartitionMetrics: Sendable {
    private let appendedRecords: Counter
    private let appendedBytes: Counter
    private let appendDuration: Timer
    private let fsyncDuration: Timer

    init(topic: String, partition: Int) {
        let dimensions = [("topic", topic), ("partition", String(partition))]
        appendedRecords = Counter(label: "weir_partition_appended_records_total", dimensions: dimensions)
        appendedBytes = Counter(label: "weir_partition_appended_bytes_total", dimensions: dimensions)
        appendDuration = Timer(label: "weir_partition_append_duration_seconds", dimensions: dimensions)
        fsyncDuration = Timer(label: "weir_partition_fsync_duration_seconds", dimensions: dimensions)
    }

    /// A batch of `records` (`bytes` long) was written, `since` (monotonic ns) it began.
    func appended(records: Int, bytes: Int, since started: UInt64) {
        appendDuration.recordNanoseconds(Int64(monotonicNanos() - started))
        appendedRecords.increment(by: records)
        appendedBytes.increment(by: bytes)
    }

    /// An fsync that began at `started` (monotonic ns) is done.
    func synced(since started: UInt64) {
        fsyncDuration.recordNanoseconds(Int64(monotonicNanos() - started))
    }
}

/// Nanoseconds on the monotonic clock, for durations.
@inline(__always)
package func monotonicNanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
