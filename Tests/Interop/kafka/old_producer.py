#!/usr/bin/env python3
"""kafka-python made to speak an old protocol: Produce v0 (api_version 0.8.2, message
format v0), v1 (0.9, format v0) or v2 (0.10.0, format v1), as producers of those Kafka
versions did.

  old_producer.py --bootstrap HOST:PORT --topic T --api-version 0.9 --compression gzip --records N

Values are "<api version> <compression> <i>", keys "k<i mod 3>". One JSON line at the end:
{"ok", "sent"}. Exit 0 when every record was acknowledged.
"""
import argparse
import json

from kafka import KafkaProducer

parser = argparse.ArgumentParser()
parser.add_argument("--bootstrap", required=True)
parser.add_argument("--topic", required=True)
parser.add_argument("--api-version", required=True)
parser.add_argument("--compression", choices=["none", "gzip"], default="none")
parser.add_argument("--records", type=int, default=50)
args = parser.parse_args()

producer = KafkaProducer(
    bootstrap_servers=args.bootstrap,
    api_version=tuple(int(part) for part in args.api_version.split(".")),
    compression_type=None if args.compression == "none" else args.compression,
    acks=1,
)
futures = [
    producer.send(args.topic, key=b"k%d" % (i % 3), value=("%s %s %d" % (args.api_version, args.compression, i)).encode())
    for i in range(args.records)
]
sent = sum(1 for future in futures if future.get(timeout=30) is not None)
producer.close()
print(json.dumps({"ok": sent == args.records, "sent": sent}))
raise SystemExit(0 if sent == args.records else 1)
