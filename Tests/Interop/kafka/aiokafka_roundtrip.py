#!/usr/bin/env python3
"""aiokafka against a broker: produce, then group consume and commit.

    aiokafka_roundtrip.py --bootstrap 127.0.0.1:9092 --topic T --records N
        [--compression none|gzip] [--group G] [--idempotent]

1. AIOKafkaProducer sends N records (key "key-<i>", value "rec-<i>") with acks=all
   (--idempotent: enable_idempotence=True, which aiokafka does with InitProducerId v0);
   every send must succeed. T must exist or be auto-created.
2. AIOKafkaConsumer in group G (default <topic>-aiokafka), auto_offset_reset earliest, no
   auto-commit, subscribed to T, reads until every record was seen, commits, then reads back
   the committed offset of each partition; they must equal the end offsets.

Prints one JSON line: {"ok", "produced", "distinct_consumed", "duplicates", "missing",
"unexpected", "committed", "end_offsets", "seconds"}.
"""

import asyncio

import aiokafka.errors
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

import roundtrip_common as common

NAME = "aiokafka_roundtrip"


def main():
    parser = common.parser(__doc__.splitlines()[0])
    parser.add_argument("--compression", choices=["none", "gzip"], default="none")
    parser.add_argument("--group", help="consumer group id (default: <topic>-aiokafka)")
    parser.add_argument("--idempotent", action="store_true", help="enable_idempotence=True on the producer")
    arguments = parser.parse_args()
    run = common.Run(NAME, arguments.timeout)
    try:
        asyncio.run(roundtrip(run, arguments))
    except aiokafka.errors.KafkaError as exception:
        run.fail(f"during {run.phase}: {type(exception).__name__}: {exception}")
    except Exception as exception:
        run.fail(f"during {run.phase}: {exception!r}")
    run.succeed()


def milliseconds(run):
    return min(30000, int(run.remaining() * 1000))


async def roundtrip(run, arguments):
    topic = arguments.topic
    run.enter(f"producing {arguments.records} records")
    producer = AIOKafkaProducer(
        bootstrap_servers=arguments.bootstrap,
        client_id=f"{NAME}-producer",
        acks="all",
        enable_idempotence=arguments.idempotent,
        compression_type=None if arguments.compression == "none" else arguments.compression,
        request_timeout_ms=milliseconds(run),
    )
    await producer.start()
    try:
        # send() returns once the record is queued; the future it returns ends with the delivery.
        deliveries = [await producer.send(topic, value=common.value(i), key=common.key(i))
                      for i in range(arguments.records)]
        results = await asyncio.gather(*deliveries, return_exceptions=True)
    finally:
        await producer.stop()
    failures = [f"{type(result).__name__}: {result}" for result in results if isinstance(result, BaseException)]
    if failures:
        run.fail(f"{len(failures)} sends failed, first: {failures[:5]}")
    run.summary["produced"] = len(results)

    group = arguments.group or f"{topic}-aiokafka"
    run.enter(f"consuming in group {group}")
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=arguments.bootstrap,
        client_id=f"{NAME}-consumer",
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        request_timeout_ms=milliseconds(run),
    )
    await consumer.start()
    try:
        tally = common.Tally(arguments.records)
        while tally.distinct < arguments.records:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    tally.add(record.key, record.value)
            tally.summarize(run.summary)
            if tally.unexpected:
                run.fail(tally.problem())

        run.enter("committing and reading the committed offsets back")
        await consumer.commit()
        partitions = sorted(consumer.partitions_for_topic(topic) or [])
        if not partitions:
            run.fail(f"no partitions known for topic {topic}")
        tps = [TopicPartition(topic, p) for p in partitions]
        end_offsets = {tp.partition: offset for tp, offset in (await consumer.end_offsets(tps)).items()}
        committed = {tp.partition: await consumer.committed(tp) for tp in tps}
        run.summary["end_offsets"] = common.by_partition(end_offsets)
        run.summary["committed"] = common.by_partition(committed)
    finally:
        await consumer.stop()
    problem = common.offsets_problem(committed, end_offsets) or tally.problem()
    if problem:
        run.fail(problem)


if __name__ == "__main__":
    main()
