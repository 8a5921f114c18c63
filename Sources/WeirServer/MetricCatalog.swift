/// Every metric Weir exports, with its help text and, for histograms, its buckets: the
/// one list `docs/operations.md` documents.
enum MetricCatalog {
    static let help: [String: String] = [
        // Components (counted per batch by the runner).
        "weir_component_received_records_total": "Records that reached the component (a source: records it read).",
        "weir_component_sent_records_total": "Records that left the component: appended (source), produced (transform), written (sink).",
        "weir_component_received_bytes_total":
            "Bytes of record values the component read (sources from their input, sinks from their topics).",
        "weir_component_errors_total": "Records the component failed.",
        "weir_component_dead_lettered_records_total": "Records of the component's failures sent to the pipeline's dead-letter topic.",
        "weir_component_dropped_records_total":
            "Messages a source received and dropped unappended (syslog datagrams while its topic is full).",
        "weir_component_running": "1 while the component runs (a source: connected to its input), else 0.",
        "weir_sink_end_to_end_latency_seconds":
            "Time from a record's timestamp to its write by the sink, observed once per batch for the batch's oldest record.",
        "weir_sink_lag_records": "Records in the sink's input topics not yet written by it.",
        "weir_transform_state_bytes":
            "Bytes of a stateful transform's state for one input partition, as the sink's last commit wrote it.",
        "weir_plugin_restarts_total": "Restarts of a plugin's processes (exits, hangs, bad replies).",
        "weir_pipeline_running": "1 while the pipeline runs, else 0.",
        // A `lookup` transform's table.
        "weir_lookup_table_rows": "Keys in a lookup transform's table (its file's rows, or its topic's latest keys).",
        "weir_lookup_reload_failures_total": "Reloads of a lookup table file that failed (the table in use was kept).",
        "weir_lookup_skipped_table_records_total":
            "Records of a lookup table topic skipped: not a JSON object, no key member, or a tombstone without a record key.",
        // Partitions (appends and fsyncs counted by the log; the rest read at each scrape).
        "weir_partition_appended_records_total": "Records appended to the partition by this process.",
        "weir_partition_appended_bytes_total": "Bytes of record batches appended to the partition by this process.",
        "weir_partition_append_duration_seconds": "Time to write one record batch to the partition (not counting fsync).",
        "weir_partition_fsync_duration_seconds": "Time of one fsync of the partition's active segment.",
        "weir_partition_end_offset": "The partition's end offset: the offset the next record gets.",
        "weir_partition_start_offset": "The partition's first offset still held (retention moves it).",
        "weir_partition_size_bytes": "Bytes of the partition's segments on disk.",
        "weir_partition_segments": "Segment files of the partition.",
        // Groups (each sink is one consumer group).
        "weir_group_committed_offset": "The next offset the group will read in the partition, as its last durable commit says.",
        "weir_group_lag_records": "Records of the partition the group has not yet committed (end offset minus committed offset).",
        // The Kafka listener (--kafka), per API where it says so.
        "weir_kafka_requests_total": "Kafka requests answered, per API.",
        "weir_kafka_request_errors_total": "Kafka requests answered with an error code in them, or that closed the connection, per API.",
        "weir_kafka_request_duration_seconds": "Time from a Kafka request's arrival to its answer (long-polled fetches included), per API.",
        "weir_kafka_connections": "Kafka client connections open now.",
        "weir_kafka_connections_total": "Kafka client connections accepted.",
        "weir_kafka_received_bytes_total": "Bytes of Kafka requests received.",
        "weir_kafka_sent_bytes_total": "Bytes of Kafka responses sent.",
        // The process.
        "process_resident_memory_bytes": "Resident memory of the weir process.",
        "process_virtual_memory_bytes": "Virtual memory of the weir process.",
        "process_open_fds": "File descriptors the weir process holds open.",
        "process_max_fds": "The weir process's limit on open file descriptors.",
        "process_cpu_seconds_total": "User and system CPU time of the weir process.",
        "process_start_time_seconds": "When the weir process started, in seconds since the epoch.",
    ]

    /// Buckets of each duration histogram: appends and fsyncs take microseconds to
    /// milliseconds; end-to-end latency milliseconds to minutes.
    static let durationBuckets: [String: [Duration]] = [
        "weir_partition_append_duration_seconds": [
            .microseconds(10), .microseconds(25), .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
            .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(100),
        ],
        "weir_partition_fsync_duration_seconds": [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
        ],
        "weir_kafka_request_duration_seconds": [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
            .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5),
        ],
        "weir_sink_end_to_end_latency_seconds": [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300),
        ],
    ]

    static let defaultDurationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(10), .milliseconds(100), .seconds(1), .seconds(10),
    ]
}
