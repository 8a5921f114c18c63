#!/usr/bin/env python3
"""A confluent-kafka consumer in a group that reads a topic as records arrive and exits
once it has seen a given number of distinct values.

  live_consumer.py --bootstrap HOST:PORT --topic T --group G --count N [--timeout S]

Prints "ready" on stdout once the group assigned it partitions (so a test can start
writing), then one JSON line {"ok", "seen", "values": first 5}. Commits synchronously
before leaving. Exit 0 when N distinct values arrived before the timeout.
"""
import argparse
import json
import sys
import time

from confluent_kafka import Consumer


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()
    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": args.group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "session.timeout.ms": 10000,
    })
    announced = False

    def assigned(consumer, partitions):
        nonlocal announced
        if partitions and not announced:
            announced = True
            print("ready", flush=True)

    consumer.subscribe([args.topic], on_assign=assigned)
    seen = []
    distinct = set()
    deadline = time.monotonic() + args.timeout
    while len(distinct) < args.count and time.monotonic() < deadline:
        message = consumer.poll(0.2)
        if message is None or message.error():
            continue
        value = message.value().decode("utf-8", "replace")
        if value not in distinct:
            distinct.add(value)
            seen.append(value)
    if distinct:
        consumer.commit(asynchronous=False)
    consumer.close()
    ok = len(distinct) >= args.count
    print(json.dumps({"ok": ok, "seen": len(distinct), "values": seen[:5]}), flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
