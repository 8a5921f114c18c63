import Logging
import NIOCore
import WeirLog

extension KafkaBroker {
    /// Appends each partition's batches as the client sent them (validated, re-stamped
    /// with the log's offsets; gzip stays gzip) and answers with the first base offset once
    /// they are as durable as the topic's flush policy makes them. Before v3 the records
    /// are a message set, converted into one batch of the same codec.
    func produce(_ request: ProduceAPI.Request, version: Int16) async -> ProduceAPI.Response {
        var responses: [ProduceAPI.Response.TopicProduceResponse] = []
        for topicData in request.topicData {
            var partitions: [ProduceAPI.Response.PartitionProduceResponse] = []
            let topic: Topic
            do {
                topic = try await existingOrCreated(topicData.name, create: autoCreateTopics)
            } catch {
                let code = KafkaErrorCode(error)
                partitions = topicData.partitionData.map { .init(index: $0.index, errorCode: code, errorMessage: "\(error)") }
                responses.append(.init(name: topicData.name, partitionResponses: partitions))
                continue
            }
            for data in topicData.partitionData {
                partitions.append(
                    await produce(
                        data, to: topic, transactional: request.transactionalID != nil,
                        messageSet: version < ProduceAPI.firstRecordBatchVersion))
            }
            responses.append(.init(name: topicData.name, partitionResponses: partitions))
        }
        return ProduceAPI.Response(responses: responses)
    }

    private func produce(_ data: ProduceAPI.Request.PartitionProduceData, to topic: Topic, transactional: Bool, messageSet: Bool) async
        -> ProduceAPI.Response.PartitionProduceResponse
    {
        do {
            let partition = try topic.partition(Int(data.index))
            guard !transactional else {
                return .init(index: data.index, errorCode: .invalidRequest, errorMessage: "Weir does not implement transactions")
            }
            let records = data.records
            // A message set is decompressed and encoded again: on a thread of its own too.
            let base = try await onBlockingThread { [producers] () -> Int64? in
                let batches = messageSet ? try Self.upConverted(records) : try Self.splitBatches(records)
                guard !batches.isEmpty else { return nil }
                return try producers.append(batches, to: partition)
            }
            guard let base else {
                return .init(index: data.index, errorCode: .invalidRequest, errorMessage: "no record batches")
            }
            return .init(index: data.index, baseOffset: base, logStartOffset: try partition.startOffset)
        } catch let refused as IdempotentProducers.Refused {
            logger.debug("produce refused", metadata: ["topic": "\(topic.name)", "partition": "\(data.index)", "error": "\(refused)"])
            return .init(index: data.index, errorCode: refused.code, errorMessage: refused.description)
        } catch {
            logger.debug("produce refused", metadata: ["topic": "\(topic.name)", "partition": "\(data.index)", "error": "\(error)"])
            return .init(index: data.index, errorCode: KafkaErrorCode(error), errorMessage: "\(error)")
        }
    }

    /// A message set (Produce v0–2) as RecordBatch v2 batches: one per compressed message
    /// (of its codec) or run of uncompressed ones.
    static func upConverted(_ records: ByteBuffer?) throws -> [[UInt8]] {
        guard let records, records.readableBytes > 0 else { return [] }
        return try LegacyMessageSet.groups(from: Array(records.readableBytesView), now: currentTimeMillis()).map {
            try RecordBatchBuilder.encode($0.records, codec: $0.codec)
        }
    }

    /// The batches back to back in a produce request's records, each as its own bytes.
    /// Only magic 2 (RecordBatch v2) is accepted; what is not whole batches is corrupt.
    static func splitBatches(_ records: ByteBuffer?) throws -> [[UInt8]] {
        guard var records else { return [] }
        var batches: [[UInt8]] = []
        while records.readableBytes > 0 {
            guard records.readableBytes >= RecordBatchHeader.size,
                let length = records.getInteger(at: records.readerIndex + 8, as: Int32.self),
                let magic = records.getInteger(at: records.readerIndex + 16, as: Int8.self)
            else {
                throw WeirLogError.corruptBatch(file: "produce request", position: 0, reason: "a truncated record batch")
            }
            guard magic == 2 else {
                throw WeirLogError.corruptBatch(
                    file: "produce request", position: 0, reason: "record batch magic \(magic); only v2 (magic 2) is served")
            }
            let size = Int(length) + RecordBatchHeader.logOverhead
            guard length > 0, let batch = records.readBytes(length: size) else {
                throw WeirLogError.corruptBatch(
                    file: "produce request", position: 0, reason: "record batch length \(length) beyond the request")
            }
            batches.append(batch)
        }
        return batches
    }
}
