import CRdKafka
import Foundation
public import Logging
public import WeirLog

/// One record read from a cluster topic.
public struct ConsumedMessage: Sendable {
    public let topic: String
    public let partition: Int32
    public let offset: Int64
    public let key: [UInt8]?
    public let value: [UInt8]
    /// Milliseconds since the epoch, when the record has one.
    public let timestamp: Int64?
    public let headers: [RecordHeader]

    public var topicPartition: KafkaTopicPartition { KafkaTopicPartition(topic: topic, partition: partition) }
}

/// What `RdKafkaConsumer.poll` brings.
public enum ConsumerEvent: Sendable {
    /// Records, in offset order within each partition.
    case messages([ConsumedMessage])
    /// The group gives these partitions to this member: call `assign` with where each
    /// starts before polling again.
    case assigned([KafkaTopicPartition])
    /// The group takes these partitions away (`lost`: it already has, this member was cut
    /// off too long): finish what was read of them, then call `unassign`.
    case revoked([KafkaTopicPartition], lost: Bool)
    /// These partitions were read to their end (only with `enable.partition.eof=true`;
    /// after the records before it).
    case reachedEnd([KafkaTopicPartition])
    /// Nothing came before the timeout.
    case idle
}

/// A member of a cluster's consumer group, through librdkafka's high-level consumer and
/// its event API: `poll` runs on the caller's thread (a source's or a member's own, never
/// Swift's cooperative pool), and rebalances come back as events the caller answers, so
/// it decides where each partition it gets starts (its own checkpoint, when it has one).
/// Not for use from several threads at once.
public final class RdKafkaConsumer: @unchecked Sendable {
    // unchecked: used by one thread at a time, as librdkafka's consumer calls must be.
    private let handle: OpaquePointer
    private let queue: OpaquePointer
    private let logger: Logger
    private var pending: [ConsumerEvent] = []
    private var closed = false
    /// The close did not finish in time (the cluster is out of reach): a thread of its own
    /// finishes it and frees the client.
    private var closeHandedOver = false

    /// `group.id` must be among the properties. Offsets are committed by the caller
    /// (`enable.auto.commit` is off unless the properties turn it on).
    public init(_ configuration: RdKafkaConfiguration, logger: Logger) throws {
        guard configuration["group.id"] != nil else {
            throw RdKafkaError(code: RD_KAFKA_RESP_ERR__INVALID_ARG.rawValue, message: "group.id is required", context: "kafka consumer")
        }
        let merged = RdKafkaConfiguration([("enable.auto.commit", "false"), ("enable.partition.eof", "false")])
            .merging(configuration.properties)
        handle = try makeHandle(
            RD_KAFKA_CONSUMER, merged, events: RD_KAFKA_EVENT_FETCH | RD_KAFKA_EVENT_REBALANCE | RD_KAFKA_EVENT_ERROR)
        rd_kafka_poll_set_consumer(handle)
        queue = rd_kafka_queue_get_consumer(handle)
        self.logger = logger
    }

    deinit {
        close()
        guard !closeHandedOver else { return }
        rd_kafka_queue_destroy(queue)
        rd_kafka_destroy(handle)
    }

    public func subscribe(_ topics: [String]) throws {
        let list = makePartitionList(topics.map { (KafkaTopicPartition(topic: $0, partition: RD_KAFKA_PARTITION_UA), nil) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let error = rd_kafka_subscribe(handle, list)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw RdKafkaError(error, context: "kafka subscribe to \(topics.joined(separator: ", "))")
        }
    }

    /// "COOPERATIVE" or "EAGER" (or "NONE" before the first assignment).
    public var rebalanceProtocol: String { String(cString: rd_kafka_rebalance_protocol(handle)) }

    /// Waits up to `timeoutMillis` for the next event; gathers up to `maxMessages` records
    /// (and about `maxBytes` of keys and values) that are already there into one
    /// `.messages`. A fatal client error throws.
    public func poll(timeoutMillis: Int32, maxMessages: Int = 10_000, maxBytes: Int = 8 << 20) throws -> ConsumerEvent {
        if !pending.isEmpty { return pending.removeFirst() }
        var messages: [ConsumedMessage] = []
        var bytes = 0
        var ended: [KafkaTopicPartition] = []
        var wait = timeoutMillis
        while messages.count < maxMessages, bytes < maxBytes, pending.isEmpty, ended.isEmpty {
            guard let event = rd_kafka_queue_poll(queue, wait) else { break }
            defer { rd_kafka_event_destroy(event) }
            wait = 0
            switch rd_kafka_event_type(event) {
            case RD_KAFKA_EVENT_FETCH:
                while let message = rd_kafka_event_message_next(event) {
                    let partition = KafkaTopicPartition(
                        topic: String(cString: rd_kafka_topic_name(message.pointee.rkt)), partition: message.pointee.partition)
                    switch message.pointee.err {
                    case RD_KAFKA_RESP_ERR_NO_ERROR:
                        let copied = Self.copy(message)
                        bytes += copied.value.count + (copied.key?.count ?? 0)
                        messages.append(copied)
                    case RD_KAFKA_RESP_ERR__PARTITION_EOF:
                        ended.append(partition)
                    default:
                        let error = RdKafkaError(message.pointee.err, context: "kafka fetch from \(partition)")
                        logger.warning("kafka fetch from \(partition) failed; librdkafka retries: \(error.message)")
                    }
                }
            case RD_KAFKA_EVENT_REBALANCE:
                let list = rd_kafka_event_topic_partition_list(event)!
                let keys = partitions(of: list).map(\.0)
                switch rd_kafka_event_error(event) {
                case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS: pending.append(.assigned(keys))
                default: pending.append(.revoked(keys, lost: rd_kafka_assignment_lost(handle) != 0))
                }
            case RD_KAFKA_EVENT_ERROR where rd_kafka_event_error(event) == RD_KAFKA_RESP_ERR__PARTITION_EOF:
                // The end of a partition comes as an error event naming it.
                if let partition = rd_kafka_event_topic_partition(event) {
                    ended.append(
                        KafkaTopicPartition(topic: String(cString: partition.pointee.topic), partition: partition.pointee.partition))
                    rd_kafka_topic_partition_destroy(partition)
                }
            case RD_KAFKA_EVENT_ERROR:
                let error = RdKafkaError(rd_kafka_event_error(event), context: "kafka consumer")
                if rd_kafka_event_error_is_fatal(event) != 0 { throw error }
                logger.warning(
                    "kafka consumer: \(String(cString: rd_kafka_event_error_string(event)))", metadata: ["error": "\(error.message)"])
            default:
                break
            }
        }
        // Records first, then what they were read before (an end, a rebalance).
        if !ended.isEmpty { pending.insert(.reachedEnd(ended), at: 0) }
        if !messages.isEmpty { return .messages(messages) }
        return pending.isEmpty ? .idle : pending.removeFirst()
    }

    private static func copy(_ message: UnsafePointer<rd_kafka_message_t>) -> ConsumedMessage {
        let m = message.pointee
        let value = m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) } ?? []
        let key = m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) }
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &type)
        var headers: [RecordHeader] = []
        var list: OpaquePointer?
        if rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list {
            var index = 0
            var name: UnsafePointer<CChar>?
            var bytes: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(list, index, &name, &bytes, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                headers.append(
                    RecordHeader(key: String(cString: name!), value: bytes.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }))
                index += 1
            }
        }
        return ConsumedMessage(
            topic: String(cString: rd_kafka_topic_name(m.rkt)), partition: m.partition, offset: m.offset, key: key, value: value,
            timestamp: type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp, headers: headers)
    }

    /// Answers `.assigned`: each partition starts at its offset, or where the group
    /// committed (and `auto.offset.reset` beyond that) when nil.
    public func assign(_ starts: [(KafkaTopicPartition, offset: Int64?)]) throws {
        let list = makePartitionList(starts)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        if rebalanceProtocol == "COOPERATIVE" {
            if let error = rd_kafka_incremental_assign(handle, list) { throw RdKafkaError(taking: error, context: "kafka assign") }
        } else {
            let error = rd_kafka_assign(handle, list)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw RdKafkaError(error, context: "kafka assign") }
        }
    }

    /// Answers `.revoked`.
    public func unassign(_ partitions: [KafkaTopicPartition]) throws {
        if rebalanceProtocol == "COOPERATIVE" {
            let list = makePartitionList(partitions.map { ($0, nil) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            if let error = rd_kafka_incremental_unassign(handle, list) { throw RdKafkaError(taking: error, context: "kafka unassign") }
        } else {
            let error = rd_kafka_assign(handle, nil)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw RdKafkaError(error, context: "kafka unassign") }
        }
    }

    /// Commits `offsets` (the next offset to read, per partition) for the group, with
    /// `metadata` where given (Kafka keeps it beside the offset), and waits for the
    /// coordinator's answer: under the member's generation, so a member the group has
    /// fenced out is refused.
    public func commit(_ offsets: [KafkaTopicPartition: Int64], metadata: [KafkaTopicPartition: String] = [:]) throws {
        guard !offsets.isEmpty else { return }
        let list = makePartitionList(offsets.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for i in 0..<Int(list.pointee.cnt) {
            let element = list.pointee.elems[i]
            let key = KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition)
            guard let text = metadata[key] else { continue }
            // The list frees it with the elements.
            let bytes = Array(text.utf8)
            let copy = malloc(max(1, bytes.count))!
            bytes.withUnsafeBytes { copy.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
            list.pointee.elems[i].metadata = copy
            list.pointee.elems[i].metadata_size = bytes.count
        }
        let error = rd_kafka_commit(handle, list, 0)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw RdKafkaError(error, context: "kafka commit") }
        for (key, _, error) in partitions(of: list) where error != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw RdKafkaError(error, context: "kafka commit of \(key)")
        }
    }

    /// The group's committed offsets for `partitions` (nil where none).
    public func committed(_ partitions: [KafkaTopicPartition], timeoutMillis: Int32 = 10_000) throws -> [KafkaTopicPartition: Int64] {
        let list = makePartitionList(partitions.map { ($0, nil) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let error = rd_kafka_committed(handle, list, timeoutMillis)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw RdKafkaError(error, context: "kafka committed offsets") }
        var offsets: [KafkaTopicPartition: Int64] = [:]
        for (key, offset, error) in WeirRdKafka.partitions(of: list) {
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw RdKafkaError(error, context: "kafka committed offset of \(key)") }
            if offset >= 0 { offsets[key] = offset }
        }
        return offsets
    }

    /// The group's committed offsets for `partitions` with their metadata ("" when none;
    /// partitions without a committed offset are absent).
    public func committedWithMetadata(_ partitions: [KafkaTopicPartition], timeoutMillis: Int32 = 10_000) throws -> [KafkaTopicPartition:
        (offset: Int64, metadata: String)]
    {
        let list = makePartitionList(partitions.map { ($0, nil) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let error = rd_kafka_committed(handle, list, timeoutMillis)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw RdKafkaError(error, context: "kafka committed offsets") }
        var found: [KafkaTopicPartition: (Int64, String)] = [:]
        for i in 0..<Int(list.pointee.cnt) {
            let element = list.pointee.elems[i]
            let key = KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition)
            guard element.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw RdKafkaError(element.err, context: "kafka committed offset of \(key)")
            }
            guard element.offset >= 0 else { continue }
            let metadata =
                element.metadata.map {
                    String(decoding: UnsafeRawBufferPointer(start: $0, count: element.metadata_size), as: UTF8.self)
                } ?? ""
            found[key] = (element.offset, metadata)
        }
        return found
    }

    /// The partition's start and end (asked of its leader).
    public func watermarks(_ partition: KafkaTopicPartition, timeoutMillis: Int32 = 10_000) throws -> (start: Int64, end: Int64) {
        var (low, high): (Int64, Int64) = (0, 0)
        let error = rd_kafka_query_watermark_offsets(handle, partition.topic, partition.partition, &low, &high, timeoutMillis)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw RdKafkaError(error, context: "kafka offsets of \(partition)") }
        return (low, high)
    }

    /// The partition's end: the offset its next record will get (asked of its leader).
    public func endOffset(_ partition: KafkaTopicPartition, timeoutMillis: Int32 = 10_000) throws -> Int64 {
        var (low, high): (Int64, Int64) = (0, 0)
        let error = rd_kafka_query_watermark_offsets(handle, partition.topic, partition.partition, &low, &high, timeoutMillis)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw RdKafkaError(error, context: "kafka end offset of \(partition)") }
        return high
    }

    /// The partitions this member holds now.
    public func assignment() throws -> [KafkaTopicPartition] {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        let error = rd_kafka_assignment(handle, &list)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { throw RdKafkaError(error, context: "kafka assignment") }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return partitions(of: list).map(\.0).sorted()
    }

    /// Leaves the group (its partitions go to the other members at once, without a
    /// session timeout). Commits nothing: commit first. Idempotent. When the cluster is
    /// out of reach longer than `timeoutMillis`, the close goes on on a thread of its own,
    /// which frees the client once it is done (librdkafka cannot be destroyed before).
    public func close(timeoutMillis: Int64 = 10_000) {
        guard !closed else { return }
        closed = true
        if let error = rd_kafka_consumer_close_queue(handle, queue) {
            logger.warning("kafka consumer close", metadata: ["error": "\(RdKafkaError(taking: error, context: "close"))"])
            return
        }
        let deadline = ContinuousClock.now + .milliseconds(timeoutMillis)
        guard !Self.finishClose(handle, queue, until: deadline) else { return }
        logger.warning("kafka consumer close goes on in the background: the cluster is out of reach")
        closeHandedOver = true
        let (handle, queue) = (UInt(bitPattern: handle), UInt(bitPattern: queue))
        let closer = Thread {
            let (handle, queue) = (OpaquePointer(bitPattern: handle)!, OpaquePointer(bitPattern: queue)!)
            _ = Self.finishClose(handle, queue, until: nil)
            rd_kafka_queue_destroy(queue)
            rd_kafka_destroy(handle)
        }
        closer.name = "weir.kafka.close"
        closer.start()
    }

    /// Serves the close's rebalance events until the consumer is closed (true) or
    /// `deadline` passes.
    private static func finishClose(_ handle: OpaquePointer, _ queue: OpaquePointer, until deadline: ContinuousClock.Instant?) -> Bool {
        while rd_kafka_consumer_closed(handle) == 0 {
            if let deadline, ContinuousClock.now >= deadline { return false }
            guard let event = rd_kafka_queue_poll(queue, 100) else { continue }
            if rd_kafka_event_type(event) == RD_KAFKA_EVENT_REBALANCE {
                let list = rd_kafka_event_topic_partition_list(event)!
                let cooperative = String(cString: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
                switch (rd_kafka_event_error(event) == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS, cooperative) {
                case (true, true): if let error = rd_kafka_incremental_assign(handle, nil) { rd_kafka_error_destroy(error) }
                case (false, true): if let error = rd_kafka_incremental_unassign(handle, list) { rd_kafka_error_destroy(error) }
                case (_, false): _ = rd_kafka_assign(handle, nil)
                }
            }
            rd_kafka_event_destroy(event)
        }
        return true
    }
}
