import CRdKafka
import Foundation
public import Logging
import Synchronization
public import WeirLog

/// One record for `RdKafkaProducer.produce`.
public struct OutgoingMessage: Sendable {
    public var key: [UInt8]?
    public var value: [UInt8]
    /// Milliseconds since the epoch; the producer's clock when nil.
    public var timestamp: Int64?
    public var headers: [RecordHeader]
    /// Nil: the producer's partitioner (murmur2 of the key, as Kafka's Java client and
    /// Weir's own log; random for records without a key).
    public var partition: Int32?

    public init(key: [UInt8]? = nil, value: [UInt8], timestamp: Int64? = nil, headers: [RecordHeader] = [], partition: Int32? = nil) {
        self.key = key
        self.value = value
        self.timestamp = timestamp
        self.headers = headers
        self.partition = partition
    }
}

/// A message the cluster did not take, by its index in the batch given to `produce`.
public struct DeliveryFailure: Sendable, Equatable {
    public let index: Int
    public let error: RdKafkaError
}

/// A librdkafka producer. `produce` hands over a batch and waits for every delivery
/// report (so its return is the acknowledgement of the whole batch); the reports are
/// read by a thread of the producer's own, never by Swift's cooperative pool.
/// Several threads may produce at once.
public final class RdKafkaProducer: @unchecked Sendable {
    // unchecked: `handle` and `queue` are librdkafka objects, safe from any thread; the rest is under `batches`.
    private let handle: OpaquePointer
    private let queue: OpaquePointer
    private let logger: Logger
    private let shared = Shared()
    private let closed = Atomic<Bool>(false)

    /// What the producer and its poller thread share.
    private final class Shared: Sendable {
        let batches = Mutex(Batches())
        /// Signalled after each event the poller handled.
        let delivered = ChangeSignal()
        let stopping = Atomic<Bool>(false)
        let done = ChangeSignal()
    }

    private struct Batches {
        var nextID: UInt32 = 1
        var open: [UInt32: Batch] = [:]
    }

    private struct Batch {
        var pending: Int
        var failures: [DeliveryFailure] = []
        /// The last offset written in each partition.
        var lastOffsets: [Int32: Int64] = [:]
    }

    /// What became of one `deliver` call's messages.
    public struct Delivery: Sendable {
        /// The refused ones, by index (empty when all were written).
        public var failures: [DeliveryFailure]
        /// Per partition, the offset of the last message written there.
        public var lastOffsets: [Int32: Int64]
    }

    /// The defaults a producer that keeps Weir's promises needs (idempotent, every
    /// replica acknowledges, retries until delivered), then `configuration` over them.
    public static let defaults: [(key: String, value: String)] = [
        ("enable.idempotence", "true"), ("acks", "all"), ("message.timeout.ms", "0"), ("linger.ms", "5"),
        // librdkafka's own default is CRC32 of the key: keys would land elsewhere than
        // Java clients and `weir produce` put them.
        ("partitioner", "murmur2_random"),
    ]

    public init(_ configuration: RdKafkaConfiguration, logger: Logger) throws {
        let merged = RdKafkaConfiguration(Self.defaults).merging(configuration.properties)
        handle = try makeHandle(RD_KAFKA_PRODUCER, merged, events: RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_ERROR)
        queue = rd_kafka_queue_get_main(handle)
        self.logger = logger
        let (queue, shared) = (UInt(bitPattern: queue), shared)
        let poller = Thread {
            let events = OpaquePointer(bitPattern: queue)!
            while !shared.stopping.load(ordering: .acquiring) {
                guard let event = rd_kafka_queue_poll(events, 100) else { continue }
                Self.handleEvent(event, shared, logger: logger)
                rd_kafka_event_destroy(event)
                shared.delivered.signal()
            }
            shared.done.signal()
        }
        poller.name = "weir.kafka.producer"
        poller.start()
    }

    deinit {
        close()
    }

    private static func handleEvent(_ event: OpaquePointer, _ shared: Shared, logger: Logger) {
        switch rd_kafka_event_type(event) {
        case RD_KAFKA_EVENT_DR:
            shared.batches.withLock { batches in
                while let message = rd_kafka_event_message_next(event) {
                    let tag = UInt(bitPattern: message.pointee._private)
                    let (id, index) = (UInt32(truncatingIfNeeded: tag >> 32), Int(tag & 0xFFFF_FFFF))
                    guard batches.open[id] != nil else { continue }
                    batches.open[id]!.pending -= 1
                    if message.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                        batches.open[id]!.failures.append(
                            DeliveryFailure(index: index, error: RdKafkaError(message.pointee.err, context: "kafka delivery")))
                    } else if message.pointee.offset >= 0 {
                        batches.open[id]!.lastOffsets[message.pointee.partition] = max(
                            batches.open[id]!.lastOffsets[message.pointee.partition] ?? -1, message.pointee.offset)
                    }
                }
            }
        case RD_KAFKA_EVENT_ERROR:
            let error = RdKafkaError(rd_kafka_event_error(event), context: "kafka producer")
            // librdkafka retries what it can by itself; these say why it is waiting.
            logger.warning("\(String(cString: rd_kafka_event_error_string(event)))", metadata: ["error": "\(error.message)"])
        default:
            break
        }
    }

    /// Sends `messages` to `topic` and returns once each was acknowledged or refused:
    /// the refused ones, by index (empty when all were written). Stops waiting and throws
    /// when `giveUp` says so (checked every 100 ms; what was sent may still arrive) or the
    /// producer is closed. Not to be called once `close` began.
    public func produce(topic: String, _ messages: [OutgoingMessage], giveUp: () -> Bool = { false }) throws -> [DeliveryFailure] {
        try deliver(topic: topic, messages, giveUp: giveUp).failures
    }

    /// `produce`, also saying where the messages went. With `now`, they are sent at once
    /// rather than after `linger.ms`, and (all queued before librdkafka builds a batch)
    /// as few batches as `batch.size` and `batch.num.messages` allow: with those above the
    /// messages' size and count, messages to one partition are one batch, which the
    /// cluster appends whole or not at all. Call it from one thread at a time for that.
    public func deliver(topic: String, _ messages: [OutgoingMessage], now: Bool = false, giveUp: () -> Bool = { false }) throws
        -> Delivery
    {
        guard !closed.load(ordering: .acquiring) else {
            throw RdKafkaError(RD_KAFKA_RESP_ERR__DESTROY, context: "kafka produce to '\(topic)' after the producer was closed")
        }
        guard !messages.isEmpty else { return Delivery(failures: [], lastOffsets: [:]) }
        let id = shared.batches.withLock { batches in
            let id = batches.nextID
            batches.nextID = batches.nextID == UInt32.max ? 1 : batches.nextID + 1
            batches.open[id] = Batch(pending: messages.count)
            return id
        }
        var refused: [DeliveryFailure] = []
        for (index, message) in messages.enumerated() {
            if let error = try send(message, topic: topic, tag: UInt(id) << 32 | UInt(index)) {
                refused.append(DeliveryFailure(index: index, error: error))
            }
        }
        if !refused.isEmpty { shared.batches.withLock { $0.open[id]!.pending -= refused.count } }
        while true {
            let mark = shared.delivered.mark()
            if let finished = shared.batches.withLock({ $0.open[id]!.pending == 0 ? $0.open.removeValue(forKey: id) : nil }) {
                return Delivery(failures: (refused + finished.failures).sorted { $0.index < $1.index }, lastOffsets: finished.lastOffsets)
            }
            if giveUp() || closed.load(ordering: .acquiring) {
                // Reports that still come for this batch find no batch and are dropped.
                _ = shared.batches.withLock { $0.open.removeValue(forKey: id) }
                throw RdKafkaError(
                    code: RD_KAFKA_RESP_ERR__DESTROY.rawValue, message: "stopped waiting for the cluster's acknowledgement",
                    context: "kafka produce to '\(topic)'")
            }
            if now {
                // Flushing wakes the sender past `linger.ms` (the poller thread takes the reports).
                _ = rd_kafka_flush(handle, 100)
            } else {
                _ = mark.wait(until: .now + .milliseconds(100))
            }
        }
    }

    /// Enqueues one message; nil once librdkafka has it, or the error it refused it with
    /// at once (too large, unknown partition). Waits while its queue is full.
    private func send(_ message: OutgoingMessage, topic: String, tag: UInt) throws -> RdKafkaError? {
        while true {
            let error: OpaquePointer? = topic.withCString { topicName in
                message.value.withUnsafeBytes { value in
                    withOptionalBytes(message.key) { key in
                        var fields: [rd_kafka_vu_t] = []
                        fields.reserveCapacity(8)
                        var field = rd_kafka_vu_t()
                        field.vtype = RD_KAFKA_VTYPE_TOPIC
                        field.u.cstr = topicName
                        fields.append(field)
                        field.vtype = RD_KAFKA_VTYPE_PARTITION
                        field.u.i32 = message.partition ?? RD_KAFKA_PARTITION_UA
                        fields.append(field)
                        field.vtype = RD_KAFKA_VTYPE_VALUE
                        field.u.mem.ptr = UnsafeMutableRawPointer(mutating: value.baseAddress)
                        field.u.mem.size = value.count
                        fields.append(field)
                        if let key {
                            field.vtype = RD_KAFKA_VTYPE_KEY
                            field.u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress)
                            field.u.mem.size = key.count
                            fields.append(field)
                        }
                        if let timestamp = message.timestamp {
                            field.vtype = RD_KAFKA_VTYPE_TIMESTAMP
                            field.u.i64 = timestamp
                            fields.append(field)
                        }
                        field.vtype = RD_KAFKA_VTYPE_MSGFLAGS
                        field.u.i = RD_KAFKA_MSG_F_COPY
                        fields.append(field)
                        field.vtype = RD_KAFKA_VTYPE_OPAQUE
                        field.u.ptr = UnsafeMutableRawPointer(bitPattern: tag)
                        fields.append(field)
                        var headers: OpaquePointer?
                        if !message.headers.isEmpty {
                            headers = makeHeaders(message.headers)
                            field.vtype = RD_KAFKA_VTYPE_HEADERS
                            field.u.headers = headers
                            fields.append(field)
                        }
                        let error = rd_kafka_produceva(handle, fields, fields.count)
                        // On success librdkafka owns the headers; on failure they are ours.
                        if error != nil, let headers { rd_kafka_headers_destroy(headers) }
                        return error
                    }
                }
            }
            guard let error else { return nil }
            let refusal = RdKafkaError(taking: error, context: "kafka produce to '\(topic)'")
            guard refusal.code == RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue else { return refusal }
            // Full: the poller drains delivery reports; wait for some.
            _ = shared.delivered.mark().wait(until: .now + .milliseconds(10))
        }
    }

    private func makeHeaders(_ headers: [RecordHeader]) -> OpaquePointer {
        let list = rd_kafka_headers_new(headers.count)!
        for header in headers {
            _ = header.key.withCString { name in
                withOptionalBytes(header.value) { value in
                    rd_kafka_header_add(list, name, -1, value?.baseAddress, value?.count ?? 0)
                }
            }
        }
        return list
    }

    /// Waits up to `timeoutMillis` for what is in flight, then stops the poller and frees
    /// the client. Idempotent. A `produce` still waiting then throws; none may start.
    public func close(timeoutMillis: Int32 = 10_000) {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        // The poller goes on reading delivery reports while librdkafka flushes.
        let flushed = rd_kafka_flush(handle, timeoutMillis)
        if flushed != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning(
                "kafka producer closed with messages undelivered", metadata: ["error": "\(RdKafkaError(flushed, context: "flush"))"])
        }
        let mark = shared.done.mark()
        shared.stopping.store(true, ordering: .releasing)
        _ = mark.wait(until: nil)
        rd_kafka_queue_destroy(queue)
        rd_kafka_destroy(handle)
    }
}
