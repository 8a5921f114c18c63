import CoreMetrics
import Synchronization
import WeirLog

/// The listener's metrics: requests, errors and latency per API, connections, and
/// bytes in and out.
final class KafkaMetrics: Sendable {
    private struct PerAPI: Sendable {
        let requests: Counter
        let errors: Counter
        let latency: Timer
    }

    private let perAPI: [APIKey: PerAPI]
    private let unknown = Counter(label: "weir_kafka_requests_total", dimensions: [("api", "unknown")])
    private let connections = Gauge(label: "weir_kafka_connections")
    private let accepted = Counter(label: "weir_kafka_connections_total")
    private let bytesIn = Counter(label: "weir_kafka_received_bytes_total")
    private let bytesOut = Counter(label: "weir_kafka_sent_bytes_total")
    private let open = Atomic<Int>(0)

    init() {
        var table: [APIKey: PerAPI] = [:]
        for key in APIKey.allCases {
            let dimensions = [("api", key.description)]
            table[key] = PerAPI(
                requests: Counter(label: "weir_kafka_requests_total", dimensions: dimensions),
                errors: Counter(label: "weir_kafka_request_errors_total", dimensions: dimensions),
                latency: Timer(label: "weir_kafka_request_duration_seconds", dimensions: dimensions))
        }
        perAPI = table
    }

    /// Connections open now.
    var openConnections: Int { open.load(ordering: .relaxed) }

    func connectionOpened() {
        accepted.increment()
        connections.record(open.add(1, ordering: .relaxed).newValue)
    }

    func connectionClosed() {
        connections.record(open.subtract(1, ordering: .relaxed).newValue)
    }

    func unknownRequest() { unknown.increment() }

    func requestFailed(_ key: APIKey) {
        perAPI[key]?.requests.increment()
        perAPI[key]?.errors.increment()
    }

    func answered(_ key: APIKey, requestBytes: Int, responseBytes: Int, failed: Bool, since started: UInt64) {
        guard let api = perAPI[key] else { return }
        api.requests.increment()
        if failed { api.errors.increment() }
        api.latency.recordNanoseconds(Int64(monotonicNanos() - started))
        bytesIn.increment(by: requestBytes)
        bytesOut.increment(by: responseBytes)
    }
}
