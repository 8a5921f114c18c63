import Logging
import WeirLog
import WeirPipeline
import WeirRdKafka
import WeirValues

/// The `kafka` sink: produces a pipeline's records to a topic of a Kafka cluster, keyed by
/// the `key` expression when given, with the record's headers and timestamp. Idempotent
/// (no duplicates from librdkafka's own retries) and at least once: `write` returns once
/// the cluster acknowledged the whole batch (`acks=all`), and only then is the input
/// committed, so a runner killed in between produces that batch again. librdkafka retries
/// while the cluster is away (no message timeout by default: the sink waits, and the
/// topic's `max_lag` holds the sources back); a record the cluster refuses for itself
/// (too large, malformed) goes to the dead-letter topic with the reason, and any other
/// delivery error (an unknown or forbidden topic, a fatal producer error) stops the run.
final class KafkaSink: SinkOutput {
    let producer: RdKafkaProducer
    let topic: String
    let key: Expression?
    let encoding: RecordEncoding
    let setup: SinkSetup

    init(setup: SinkSetup) throws {
        let options = setup.options
        var defaults: [(key: String, value: String)] = []
        if let compression = options.string("compression") { defaults.append(("compression.type", compression)) }
        producer = try RdKafkaProducer(try KafkaClientOptions.configuration(options, defaults), logger: setup.logger)
        topic = try options.required("topic")
        key = options.expression("key")
        encoding = options.choice("encoding", default: RecordEncoding.json)
        self.setup = setup
    }

    func write(_ records: [PipelineRecord], checkpoint: inout SinkCheckpoint) throws {
        var value: [UInt8] = []
        let messages = records.map { record in
            value.removeAll(keepingCapacity: true)
            encoding.write(record, into: &value)
            return OutgoingMessage(key: record.key(from: key), value: value, timestamp: record.timestamp, headers: record.headers)
        }
        let abort = setup.abort
        for failure in try producer.produce(topic: topic, messages, giveUp: { abort.isSet }) {
            // Anything but a refusal of the record itself (time ran out, the topic is
            // unknown or not authorised, a fatal producer error) stops the run with the
            // batch unacknowledged: its input is read again next time.
            guard failure.error.refusesTheRecord else { throw failure.error }
            setup.deadLetter(records[failure.index], reason: "the cluster refused it: \(failure.error.message)")
        }
    }

    func close() {
        producer.close()
    }
}
