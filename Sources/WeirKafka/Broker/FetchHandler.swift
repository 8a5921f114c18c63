import Glibc
import NIOCore
import WeirLog

extension KafkaBroker {
    /// Reads whole batches from each requested partition, from the batch holding the
    /// fetch offset, within the request's byte limits (the first batch found is always
    /// sent whole, however large, so a consumer never stalls on it). With less than
    /// `minBytes` to send, waits for appends until `maxWaitMs` passes: appends wake the
    /// wait, nothing polls.
    func fetch(_ request: FetchAPI.Request) async -> FetchAPI.Response {
        let deadline = ContinuousClock.now + .milliseconds(Int64(max(0, request.maxWaitMs)))
        while true {
            let read: FetchRead
            do {
                read = try await onBlockingThread { self.readFetch(request) }
            } catch {
                // The thread pool is shutting down: answer what can be answered.
                return FetchAPI.Response(errorCode: .unknownServerError, responses: [])
            }
            let enough = read.bytes >= Int(request.minBytes) || read.failed || read.waitFor.isEmpty
            if enough || ContinuousClock.now >= deadline || Task.isCancelled { return read.response }
            read.closeFiles()
            await Partition.waitForData(read.waitFor, until: deadline)
        }
    }

    /// One pass over the request's partitions.
    private struct FetchRead: Sendable {
        var response: FetchAPI.Response
        var bytes = 0
        var failed = false
        /// The partitions read, positioned at their end as seen: a wait on them ends with
        /// new data only.
        var waitFor: [PartitionReader] = []

        /// Closes the segment files' descriptors of a read that will not be sent.
        func closeFiles() {
            for topic in response.responses {
                for case let span? in topic.partitions.map(\.recordsOnDisk) { close(span.descriptor) }
            }
        }
    }

    private func readFetch(_ request: FetchAPI.Request) -> FetchRead {
        var read = FetchRead(response: FetchAPI.Response(responses: []))
        var budget = Int(request.maxBytes <= 0 ? .max : request.maxBytes)
        for fetchTopic in request.topics {
            var partitions: [FetchAPI.Response.PartitionData] = []
            for wanted in fetchTopic.partitions {
                var data = FetchAPI.Response.PartitionData(partitionIndex: wanted.partition, abortedTransactions: nil)
                do {
                    let partition = try log.topic(fetchTopic.topic).partition(Int(wanted.partition))
                    let limit = min(Int(max(0, wanted.partitionMaxBytes)), budget)
                    // Once something was read, a partition without budget left gets nothing.
                    var records = ByteBuffer()
                    var (end, start) = (try partition.endOffset, try partition.startOffset)
                    var length = 0
                    if limit > 0 || read.bytes == 0 {
                        if sendsFromFiles {
                            // Left in the segment file: sendfile sends it from the page cache.
                            let span: FileSpan?
                            (span, end, start) = try partition.fetchSpan(from: wanted.fetchOffset, maxBytes: max(limit, 1))
                            data.recordsOnDisk = span
                            length = span?.length ?? 0
                        } else {
                            // Read straight into the buffer that is sent.
                            (end, start) = try partition.fetch(from: wanted.fetchOffset, maxBytes: max(limit, 1)) { count, fill in
                                records.reserveCapacity(count)
                                try records.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { try fill($0) }
                            }
                            length = records.readableBytes
                        }
                    }
                    data.highWatermark = end
                    data.lastStableOffset = end
                    data.logStartOffset = start
                    data.records = records
                    read.bytes += length
                    budget -= length
                    read.waitFor.append(PartitionReader(partition: partition, from: max(wanted.fetchOffset, end)))
                } catch {
                    data.errorCode = KafkaErrorCode(error)
                    if case WeirLogError.offsetOutOfRange(_, _, _, let start, let end) = error {
                        data.highWatermark = end
                        data.lastStableOffset = end
                        data.logStartOffset = start
                    }
                    read.failed = true
                }
                partitions.append(data)
            }
            read.response.responses.append(.init(topic: fetchTopic.topic, partitions: partitions))
        }
        return read
    }
}
