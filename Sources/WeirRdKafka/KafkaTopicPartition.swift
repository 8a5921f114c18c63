import CRdKafka

/// A partition of a cluster topic.
public struct KafkaTopicPartition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)/\(partition)" }

    public static func < (a: Self, b: Self) -> Bool { (a.topic, a.partition) < (b.topic, b.partition) }
}

/// An `rd_kafka_topic_partition_list_t` made from Swift values (the caller destroys it).
func makePartitionList(_ entries: [(KafkaTopicPartition, offset: Int64?)]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
    let list = rd_kafka_topic_partition_list_new(Int32(entries.count))!
    for (key, offset) in entries {
        let element = rd_kafka_topic_partition_list_add(list, key.topic, key.partition)!
        element.pointee.offset = offset ?? Int64(RD_KAFKA_OFFSET_INVALID)
    }
    return list
}

/// The partitions (and offsets) of a list librdkafka gave.
func partitions(of list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> [(
    KafkaTopicPartition, offset: Int64, error: rd_kafka_resp_err_t
)] {
    (0..<Int(list.pointee.cnt)).map { i in
        let element = list.pointee.elems[i]
        return (KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition), element.offset, element.err)
    }
}
