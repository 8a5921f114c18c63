#!/usr/bin/env python3
"""confluent-kafka (librdkafka) against a broker: an idempotent producer, then a consumer group.

    confluent_roundtrip.py --bootstrap 127.0.0.1:9092 --topic T --records N
        [--compression none|gzip] [--group G] [--consumers 3] [--kill-one] [--partitions P]

1. Optionally (--partitions P) creates the topic with the admin client (an existing topic is
   fine).
2. Produces N records (key "key-<i>", value "rec-<i>") with enable.idempotence=true and
   acks=all; every delivery must succeed.
3. Starts --consumers consumers of group G, each in its own process, subscribed to T, each
   committing synchronously after every batch it receives. With --kill-one, once half the
   records have been seen the consumer that reported last gets SIGKILL (no LeaveGroup: the
   group must notice through the session timeout, 6 s here) and the survivors go on.
4. Done when every record was consumed by some consumer (the killed one's count: it may have
   processed records it never committed, which are then consumed again) AND the group's
   committed offset of every partition equals the partition's end offset. Then the survivors
   close (LeaveGroup).

Prints one JSON line: {"ok", "produced", "distinct_consumed", "duplicates", "missing"
(first 10), "unexpected", "committed" {partition: offset}, "end_offsets", "per_consumer",
"killed" (consumer index or null), "seconds"}; exits nonzero with "FAILED: <reason>" on
stderr otherwise (see roundtrip_common.py).
"""

import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

import roundtrip_common as common

NAME = "confluent_roundtrip"
SESSION_TIMEOUT_MS = 6000  # Kafka's smallest allowed (group.min.session.timeout.ms)


def main():
    parser = common.parser(__doc__.splitlines()[0])
    parser.add_argument("--compression", choices=["none", "gzip"], default="none")
    parser.add_argument("--group", help="consumer group id (default: <topic>-confluent)")
    parser.add_argument("--consumers", type=common.positive, default=1, help="consumer processes (default 1)")
    parser.add_argument("--kill-one", action="store_true", help="SIGKILL one consumer when half the records are seen")
    parser.add_argument("--partitions", type=common.positive, help="create the topic with this many partitions first")
    arguments = parser.parse_args()
    if arguments.kill_one and arguments.consumers < 2:
        parser.error("--kill-one needs --consumers 2 or more")
    group = arguments.group or f"{arguments.topic}-confluent"

    run = common.Run(NAME, arguments.timeout)
    try:
        roundtrip(run, arguments, group)
    except KafkaException as exception:
        run.fail(f"during {run.phase}: {exception.args[0] if exception.args else exception}")
    except Exception as exception:
        run.fail(f"during {run.phase}: {exception!r}")
    run.succeed()


def roundtrip(run, arguments, group):
    base = {"bootstrap.servers": arguments.bootstrap}

    if arguments.partitions:
        run.enter(f"creating topic {arguments.topic} with {arguments.partitions} partitions")
        create_topic(run, base, arguments.topic, arguments.partitions)

    run.enter(f"producing {arguments.records} records")
    run.summary["produced"] = produce(run, base, arguments)

    run.enter("reading the topic's partitions and end offsets")
    checker = Consumer({**base, "group.id": group, "enable.auto.commit": False})
    run.cleanups.append(checker.close)
    metadata = checker.list_topics(arguments.topic, timeout=run.remaining())
    topic = metadata.topics.get(arguments.topic)
    if topic is None or topic.error is not None or not topic.partitions:
        run.fail(f"topic {arguments.topic} not in metadata after producing: {topic.error if topic else 'absent'}")
    partitions = sorted(topic.partitions)
    end_offsets = {}
    for partition in partitions:
        low, high = checker.get_watermark_offsets(TopicPartition(arguments.topic, partition), timeout=run.remaining())
        end_offsets[partition] = high
    run.summary["end_offsets"] = common.by_partition(end_offsets)

    run.enter(f"consuming with {arguments.consumers} consumer(s) in group {group}")
    consume(run, base, arguments, group, checker, partitions, end_offsets)


def create_topic(run, base, name, partitions):
    admin = AdminClient(base)
    futures = admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)],
                                  request_timeout=run.remaining())
    try:
        futures[name].result(timeout=run.remaining())
    except KafkaException as exception:
        if exception.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise


def produce(run, base, arguments):
    failures = []
    fatal = []
    delivered = [0]

    def on_delivery(error, message):
        if error is not None:
            if len(failures) < 10:
                failures.append(str(error))
        else:
            delivered[0] += 1

    def on_error(error):
        # Fatal errors (an idempotence guarantee broken) end the producer; others are retried.
        if error.fatal():
            fatal.append(str(error))
        print(f"{NAME}: producer: {error}", file=sys.stderr, flush=True)

    producer = Producer({
        **base,
        "enable.idempotence": True,
        "acks": "all",
        "compression.type": arguments.compression,
        "linger.ms": 5,
        "message.timeout.ms": int(run.remaining() * 1000),
        "error_cb": on_error,
    })
    for i in range(arguments.records):
        while True:
            try:
                producer.produce(arguments.topic, value=common.value(i), key=common.key(i), on_delivery=on_delivery)
                break
            except BufferError:  # the local queue is full: serve delivery reports, then retry
                producer.poll(0.1)
        producer.poll(0)
        if fatal:
            run.fail(f"fatal producer error: {fatal[0]}")
    left = producer.flush(run.remaining())
    if fatal:
        run.fail(f"fatal producer error: {fatal[0]}")
    if failures:
        run.fail(f"{arguments.records - delivered[0]} deliveries failed, first errors: {failures}")
    if left:
        run.fail(f"{left} records still undelivered after flush")
    return delivered[0]


def consume(run, base, arguments, group, checker, partitions, end_offsets):
    # One process per consumer, spawned (no fork of a process that ran librdkafka), each with
    # its own pipe to the parent: no lock is shared, so a SIGKILL cannot leave one held.
    context = multiprocessing.get_context("spawn")
    batch = max(1, arguments.records // 50)
    config = {
        **base,
        "group.id": group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "session.timeout.ms": SESSION_TIMEOUT_MS,
        "heartbeat.interval.ms": 1000,
    }
    processes, pipes = [], []
    for index in range(arguments.consumers):
        parent_end, child_end = context.Pipe(duplex=True)
        process = context.Process(
            target=consumer_process,
            args=(index, {**config, "client.id": f"{NAME}-{index}"}, arguments.topic, child_end,
                  arguments.kill_one, batch, time.time() + run.remaining()),
            daemon=True)
        process.start()
        child_end.close()
        processes.append(process)
        pipes.append(parent_end)

    def kill_all():
        for process in processes:
            if process.is_alive():
                process.kill()

    run.cleanups.insert(0, kill_all)

    tally = common.Tally(arguments.records)
    per_consumer = [0] * arguments.consumers
    victim = None
    last_reporter = None
    open_pipes = dict(enumerate(pipes))
    next_check = 0.0
    run.summary["per_consumer"] = per_consumer

    def read_reports(closing):
        """Reads what the consumers sent in the next 0.2 s; returns the last one to send records."""
        reporter = None
        for pipe in multiprocessing.connection.wait(list(open_pipes.values()), timeout=0.2):
            index = pipes.index(pipe)
            try:
                kind, payload = pipe.recv()
            except (EOFError, OSError):  # the process ended (or was killed mid-message)
                del open_pipes[index]
                if index != victim and not closing:
                    processes[index].join(timeout=1)
                    run.fail(f"consumer {index} ended early (exit code {processes[index].exitcode})")
                continue
            if kind == "records":
                for record_key, record_value in payload:
                    tally.add(record_key, record_value)
                per_consumer[index] += len(payload)
                reporter = index
            elif kind == "fatal":
                run.fail(f"consumer {index}: {payload}")
        tally.summarize(run.summary)
        return reporter

    while True:
        reporter = read_reports(closing=False)
        if reporter is not None:
            last_reporter = reporter
        if tally.unexpected:
            run.fail(tally.problem())

        if (arguments.kill_one and victim is None and last_reporter is not None
                and tally.distinct * 2 >= arguments.records):
            victim = last_reporter
            os.kill(processes[victim].pid, signal.SIGKILL)
            run.summary["killed"] = victim
            for index, pipe in open_pipes.items():
                if index != victim:
                    pipe.send("killed")
            run.enter(f"killed consumer {victim} (SIGKILL) after {tally.distinct} distinct records; "
                      "the others go on")

        if tally.distinct == arguments.records and (not arguments.kill_one or victim is not None):
            now = time.monotonic()
            if now >= next_check:
                next_check = now + 0.5
                committed = committed_offsets(run, checker, arguments.topic, partitions)
                run.summary["committed"] = common.by_partition(committed)
                problem = common.offsets_problem(committed, end_offsets)
                if problem is None:
                    break
                beyond = common.offsets_beyond_end(committed, end_offsets)
                if beyond:
                    run.fail(beyond)
                run.phase = "waiting for the group's commits to reach the end offsets; " + problem

    run.summary.setdefault("killed", victim)
    run.enter("closing the consumers")
    for index, pipe in open_pipes.items():
        if index != victim:
            pipe.send("stop")
    # Keep reading until each survivor closes its end, so none blocks on a full pipe.
    while open_pipes:
        read_reports(closing=True)
    for process in processes:
        process.join(timeout=run.remaining())
    for index, process in enumerate(processes):
        if index != victim and process.exitcode != 0:
            run.fail(f"consumer {index} exited with {process.exitcode}")
    problem = tally.problem()
    if problem:
        run.fail(problem)


def committed_offsets(run, checker, topic, partitions):
    result = {}
    for tp in checker.committed([TopicPartition(topic, p) for p in partitions], timeout=run.remaining()):
        if tp.error is not None:
            raise KafkaException(tp.error)
        result[tp.partition] = tp.offset if tp.offset >= 0 else None
    return result


def consumer_process(index, config, topic, pipe, kill_one, batch, deadline):
    """One group member, in its own process: consume, commit, report, until the parent says stop.

    The parent sends "killed" once the victim is gone (stop pacing) and "stop" at the end."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    parent = os.getppid()

    def warn(message):
        print(f"{NAME}: consumer {index}: {message}", file=sys.stderr, flush=True)

    consumer = Consumer({**config, "error_cb": lambda error: warn(f"error: {error}")})

    def commit(reason):
        try:
            consumer.commit(asynchronous=False)
            return True
        except KafkaException as exception:
            error = exception.args[0]
            if error.code() == KafkaError._NO_OFFSET:
                return True  # nothing consumed since the last commit
            warn(f"commit ({reason}) failed, will retry: {error}")
            return False

    def on_assign(_, assigned):
        warn(f"assigned partitions {sorted(tp.partition for tp in assigned)}")

    def on_revoke(_, revoked):
        warn(f"revoked partitions {sorted(tp.partition for tp in revoked)}")
        commit("on revoke")

    consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
    pacing = kill_one  # slow down until the kill, so that it lands midway
    uncommitted = False
    status = 0
    try:
        while True:
            if pipe.poll():
                command = pipe.recv()
                if command == "stop":
                    break
                if command == "killed":
                    pacing = False
            if time.time() > deadline or os.getppid() != parent:
                warn("deadline passed or parent gone; leaving")
                status = 3
                break
            records = []
            for message in consumer.consume(num_messages=batch, timeout=0.2):
                error = message.error()
                if error is not None:
                    if error.fatal():
                        pipe.send(("fatal", str(error)))
                    else:
                        warn(f"message error: {error}")
                    continue
                records.append((message.key(), message.value()))
            if records:
                # Reported before the commit: a SIGKILL between the two leaves records the
                # parent has seen and the group will deliver again (at least once, as Kafka
                # promises), never records the group committed and nobody reported.
                pipe.send(("records", records))
                uncommitted = True
            if uncommitted and commit("after a batch"):
                uncommitted = False
            if records and pacing:
                time.sleep(0.1)
        if uncommitted:
            commit("before closing")
    finally:
        consumer.close()
    sys.exit(status)


if __name__ == "__main__":
    main()
