#!/usr/bin/env python3
"""An idempotent confluent-kafka producer (acks=all) that keeps going while its broker is
killed and restarted, and says which records were acknowledged.

  acked_producer.py --bootstrap HOST:PORT --topic T --records N [--timeout S]

Values are "rec-<i>" for i in 0..<N, produced in order at a steady pace (a few thousand a
second, so a kill lands in the middle). Every acknowledged value's number is written to
stdout as soon as its delivery report arrives ("acked <i>", one per line, flushed), then one
JSON line: {"ok", "acked", "failed", "seconds"}. librdkafka retries what a dead broker did
not answer; with idempotence on, a retried batch the broker had already appended is answered
with its first offsets and not appended twice. Exit 0 when every record was acknowledged.
"""
import argparse
import json
import sys
import time

from confluent_kafka import Producer


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    producer = Producer({
        "bootstrap.servers": args.bootstrap,
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "message.timeout.ms": int(args.timeout * 1000),
        "reconnect.backoff.ms": 50,
        "reconnect.backoff.max.ms": 200,
    })
    acked = 0
    failed = []

    def report(error, message):
        nonlocal acked
        number = int(message.value().decode()[4:])
        if error is None:
            acked += 1
            sys.stdout.write(f"acked {number}\n")
            sys.stdout.flush()
        else:
            failed.append((number, str(error)))

    started = time.monotonic()
    for i in range(args.records):
        while True:
            try:
                producer.produce(args.topic, value=f"rec-{i}".encode(), key=f"key-{i}".encode(), on_delivery=report)
                break
            except BufferError:
                producer.poll(0.05)
        if i % 100 == 99:
            producer.poll(0)
            time.sleep(0.02)
    remaining = producer.flush(args.timeout)
    ok = acked == args.records and not failed and remaining == 0
    print(json.dumps({"ok": ok, "acked": acked, "failed": failed[:10], "unflushed": remaining,
                      "seconds": round(time.monotonic() - started, 3)}))
    sys.stdout.flush()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
