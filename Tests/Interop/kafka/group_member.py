#!/usr/bin/env python3
"""A confluent-kafka consumer in a group that prints every record it reads until SIGTERM.

  group_member.py --bootstrap HOST:PORT --topic T --group G

Prints "assigned P,P,..." on stdout at each assignment, then each record as
"record <partition> <value>", committing its offset synchronously before the next
(so what it printed is what it committed). On SIGTERM it closes the consumer (leaving
the group), prints "closed" and exits 0.
"""
import argparse
import signal
import sys

from confluent_kafka import Consumer


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--group", required=True)
    args = parser.parse_args()
    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": args.group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "session.timeout.ms": 10000,
        "partition.assignment.strategy": "range",
    })
    stopping = False

    def stop(_signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)

    def assigned(_consumer, partitions):
        print("assigned " + ",".join(str(p.partition) for p in partitions), flush=True)

    consumer.subscribe([args.topic], on_assign=assigned)
    while not stopping:
        message = consumer.poll(0.2)
        if message is None or message.error():
            continue
        print(f"record {message.partition()} {message.value().decode('utf-8', 'replace')}", flush=True)
        consumer.commit(message=message, asynchronous=False)
    consumer.close()
    print("closed", flush=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
