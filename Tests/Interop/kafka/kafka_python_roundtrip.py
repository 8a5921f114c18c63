#!/usr/bin/env python3
"""kafka-python against a broker: admin create and describe, produce, group consume and commit,
admin delete.

    kafka_python_roundtrip.py --bootstrap 127.0.0.1:9092 --topic T --records N
        [--compression none|gzip] [--group G] [--partitions P] [--no-admin]

1. KafkaAdminClient creates T with P partitions (default 3; replication factor 1) and
   describes its configs (all of them, printed in the summary as name: value).
2. KafkaProducer (kafka-python's defaults: acks=all, idempotence on) sends N records,
   key "key-<i>", value "rec-<i>"; every send must succeed.
3. KafkaConsumer in group G (default <topic>-kafka-python), auto.offset.reset earliest, no
   auto-commit, subscribed to T, polls until every record was seen, commits synchronously,
   then reads back the committed offset of each partition; they must equal the end offsets.
4. The admin client deletes T; it must then be gone from the topic list.
With --no-admin steps 1 and 4 are skipped (T must exist or be auto-created).

Prints one JSON line: {"ok", "produced", "distinct_consumed", "duplicates", "missing",
"unexpected", "committed", "end_offsets", "configs", "created", "deleted", "seconds"}.
"""

import time

import kafka.errors
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType

import roundtrip_common as common

NAME = "kafka_python_roundtrip"


def main():
    parser = common.parser(__doc__.splitlines()[0])
    parser.add_argument("--compression", choices=["none", "gzip"], default="none")
    parser.add_argument("--group", help="consumer group id (default: <topic>-kafka-python)")
    parser.add_argument("--partitions", type=common.positive, default=3, help="partitions of the created topic (default 3)")
    parser.add_argument("--no-admin", action="store_true", help="do not create, describe or delete the topic")
    arguments = parser.parse_args()
    run = common.Run(NAME, arguments.timeout)
    try:
        roundtrip(run, arguments)
    except kafka.errors.KafkaError as exception:
        run.fail(f"during {run.phase}: {type(exception).__name__}: {exception}")
    except Exception as exception:
        run.fail(f"during {run.phase}: {exception!r}")
    run.succeed()


def milliseconds(run):
    return int(run.remaining() * 1000)


def roundtrip(run, arguments):
    topic = arguments.topic
    admin = None
    if not arguments.no_admin:
        run.enter(f"creating topic {topic} with {arguments.partitions} partitions (admin client)")
        admin = KafkaAdminClient(bootstrap_servers=arguments.bootstrap, client_id=f"{NAME}-admin",
                                 request_timeout_ms=min(30000, milliseconds(run)))
        run.cleanups.append(admin.close)
        admin.create_topics({topic: {"num_partitions": arguments.partitions, "replication_factor": 1}},
                            timeout_ms=min(30000, milliseconds(run)))
        run.summary["created"] = True

        run.enter(f"describing the configs of {topic}")
        described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)], config_filter="all")
        configs = described.get("topic", {}).get(topic)
        if configs is None:
            run.fail(f"describe_configs returned nothing for topic {topic}: {described}")
        run.summary["configs"] = {name: entry.get("value") for name, entry in sorted(configs.items())}

    run.enter(f"producing {arguments.records} records")
    producer = KafkaProducer(
        bootstrap_servers=arguments.bootstrap,
        client_id=f"{NAME}-producer",
        acks="all",
        compression_type=None if arguments.compression == "none" else arguments.compression,
        request_timeout_ms=min(30000, milliseconds(run)),
    )
    futures = [producer.send(topic, value=common.value(i), key=common.key(i)) for i in range(arguments.records)]
    producer.flush(timeout=run.remaining())
    failures = []
    for future in futures:
        try:
            future.get(timeout=run.remaining())
        except kafka.errors.KafkaError as exception:
            failures.append(f"{type(exception).__name__}: {exception}")
    producer.close(timeout=run.remaining())
    if failures:
        run.fail(f"{len(failures)} sends failed, first: {failures[:5]}")
    run.summary["produced"] = len(futures)

    group = arguments.group or f"{topic}-kafka-python"
    run.enter(f"consuming in group {group}")
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=arguments.bootstrap,
        client_id=f"{NAME}-consumer",
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        request_timeout_ms=min(30000, milliseconds(run)),
    )
    run.cleanups.append(lambda: consumer.close(autocommit=False, timeout_ms=1000))
    tally = common.Tally(arguments.records)
    while tally.distinct < arguments.records:
        batches = consumer.poll(timeout_ms=500)
        for records in batches.values():
            for record in records:
                tally.add(record.key, record.value)
        tally.summarize(run.summary)
        if tally.unexpected:
            run.fail(tally.problem())

    run.enter("committing and reading the committed offsets back")
    consumer.commit(timeout_ms=milliseconds(run))
    partitions = sorted(consumer.partitions_for_topic(topic) or [])
    if not partitions:
        run.fail(f"no partitions known for topic {topic}")
    tps = [TopicPartition(topic, p) for p in partitions]
    end_offsets = {tp.partition: offset for tp, offset in consumer.end_offsets(tps, timeout_ms=milliseconds(run)).items()}
    committed = {tp.partition: consumer.committed(tp, timeout_ms=milliseconds(run)) for tp in tps}
    run.summary["end_offsets"] = common.by_partition(end_offsets)
    run.summary["committed"] = common.by_partition(committed)
    consumer.close(autocommit=False)
    problem = common.offsets_problem(committed, end_offsets)
    if problem:
        run.fail(problem)

    if admin is not None:
        run.enter(f"deleting topic {topic}")
        admin.delete_topics([topic], timeout_ms=min(30000, milliseconds(run)))
        while topic in admin.list_topics():
            run.phase = f"waiting for {topic} to leave the topic list after deleting it"
            time.sleep(0.2)
        run.summary["deleted"] = True
    problem = tally.problem()
    if problem:
        run.fail(problem)


if __name__ == "__main__":
    main()
