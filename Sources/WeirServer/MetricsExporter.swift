import CoreMetrics
import Foundation
import Prometheus
import Synchronization
import WeirPipeline

/// `/metrics`: what the runner and the log count as they go (through swift-metrics),
/// plus what is read at each scrape: partitions' offsets and sizes, groups' committed
/// offsets and lag, states, and the process's resources.
public final class MetricsExporter: Sendable {
    let registry: PrometheusCollectorRegistry
    private let monitor: RunMonitor
    /// CPU seconds already added to the counter.
    private let cpuCounted = Mutex<Double>(0)

    private init(registry: PrometheusCollectorRegistry, monitor: RunMonitor) {
        self.registry = registry
        self.monitor = monitor
    }

    /// Makes Prometheus the process's swift-metrics backend. Once per process, before
    /// the log opens (partitions make their metrics when they open).
    public static func bootstrap(monitor: RunMonitor) -> MetricsExporter {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(WeirMetricsFactory(registry: registry))
        return MetricsExporter(registry: registry, monitor: monitor)
    }

    /// The exposition text, version 0.0.4.
    func scrape() -> [UInt8] {
        refresh()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(registry.internalBufferCapacity())
        registry.emit(into: &buffer)
        return buffer
    }

    private func gauge(_ name: String, _ labels: [(String, String)]) -> Prometheus.Gauge {
        registry.makeGauge(descriptor: WeirMetricsFactory.descriptor(name), labels: labels)
    }

    private func refresh() {
        let snapshot = monitor.snapshot
        for topic in snapshot.topics {
            for state in topic.partitions {
                let labels = [("topic", topic.name), ("partition", String(state.partition))]
                gauge("weir_partition_end_offset", labels).set(to: Double(state.endOffset))
                gauge("weir_partition_start_offset", labels).set(to: Double(state.startOffset))
                gauge("weir_partition_size_bytes", labels).set(to: Double(state.sizeBytes))
                gauge("weir_partition_segments", labels).set(to: Double(state.segments))
            }
        }
        for runner in monitor.runners {
            let pipeline = runner.definition.name
            gauge("weir_pipeline_running", [("pipeline", pipeline)]).set(to: runner.phase == .running ? 1 : 0)
            for stats in runner.stats {
                let labels = [("pipeline", pipeline), ("component", stats.id), ("kind", stats.kind.rawValue), ("type", stats.type)]
                gauge("weir_component_running", labels).set(to: stats.state == .running ? 1 : 0)
                if let lag = snapshot.sinkLag[ObjectIdentifier(stats)] {
                    gauge("weir_sink_lag_records", [("pipeline", pipeline), ("component", stats.id)]).set(to: Double(lag))
                }
            }
            for position in snapshot.groups[pipeline] ?? [] {
                let labels = [
                    ("pipeline", pipeline), ("group", position.group), ("topic", position.topic), ("partition", String(position.partition)),
                ]
                gauge("weir_group_committed_offset", labels).set(to: Double(position.committed))
                gauge("weir_group_lag_records", labels).set(to: Double(position.lag))
            }
        }
        let process = ProcessStats.read()
        gauge("process_resident_memory_bytes", []).set(to: process.residentBytes)
        gauge("process_virtual_memory_bytes", []).set(to: process.virtualBytes)
        gauge("process_open_fds", []).set(to: process.openFiles)
        gauge("process_max_fds", []).set(to: process.maxFiles)
        gauge("process_start_time_seconds", []).set(to: process.startTime)
        let cpu = registry.makeCounter(descriptor: WeirMetricsFactory.descriptor("process_cpu_seconds_total"), labels: [])
        cpuCounted.withLock { counted in
            if process.cpuSeconds > counted {
                cpu.increment(by: process.cpuSeconds - counted)
                counted = process.cpuSeconds
            }
        }
    }
}
