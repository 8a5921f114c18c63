#!/usr/bin/env python3
"""A stand-in upstream for capture.py that answers ApiVersions and nothing else
(Python standard library only).

    apiversions_broker.py --listen 127.0.0.1:PORT

It answers ApiVersions v0-v3 with the version table below (v3 in the flexible layout,
always with response header v0, as Kafka does) and any higher version with error 35
(UNSUPPORTED_VERSION) in the v0 layout, so a client falls back to v3. Every other request
is read and left unanswered, so a client sends its next request (Metadata) and then waits
until it gives up: enough to record the first requests of a real client without a broker.
The connection is never closed from this side. Prints "listening HOST:PORT" on stdout;
exits on SIGTERM or SIGINT.
"""

import argparse
import asyncio
import signal
import struct
import sys

# (api key, min, max): the set a Weir broker is expected to advertise for clients of
# librdkafka 2.0.2, kafka-python 3 and aiokafka (all non-flexible except ApiVersions v3).
RANGES = [
    (0, 3, 8),    # Produce
    (1, 4, 11),   # Fetch
    (2, 1, 5),    # ListOffsets
    (3, 1, 8),    # Metadata
    (8, 2, 7),    # OffsetCommit
    (9, 1, 5),    # OffsetFetch
    (10, 0, 2),   # FindCoordinator
    (11, 0, 5),   # JoinGroup
    (12, 0, 3),   # Heartbeat
    (13, 0, 1),   # LeaveGroup
    (14, 0, 3),   # SyncGroup
    (18, 0, 3),   # ApiVersions
    (19, 2, 4),   # CreateTopics
    (20, 1, 3),   # DeleteTopics
    (22, 0, 1),   # InitProducerId
    (32, 0, 2),   # DescribeConfigs
]

UNSUPPORTED_VERSION = 35


def uvarint(value):
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def api_versions_body(version):
    if version > 3:
        # Kafka does not parse an unsupported ApiVersions request and answers in v0 layout.
        version, error = 0, UNSUPPORTED_VERSION
    else:
        error = 0
    body = struct.pack(">h", error)
    if version >= 3:
        body += uvarint(len(RANGES) + 1)
        for key, low, high in RANGES:
            body += struct.pack(">hhh", key, low, high) + b"\x00"
        body += struct.pack(">i", 0) + b"\x00"  # throttle time, no tagged fields
    else:
        body += struct.pack(">i", len(RANGES))
        for key, low, high in RANGES:
            body += struct.pack(">hhh", key, low, high)
        if version >= 1:
            body += struct.pack(">i", 0)
    return body


async def handle(reader, writer):
    try:
        while True:
            (size,) = struct.unpack(">i", await reader.readexactly(4))
            frame = await reader.readexactly(size)
            key, version, correlation = struct.unpack_from(">hhi", frame, 0)
            if key != 18:
                continue  # left unanswered
            response = struct.pack(">i", correlation) + api_versions_body(version)
            writer.write(struct.pack(">i", len(response)) + response)
            await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.CancelledError, ConnectionError, struct.error):
        pass
    finally:
        writer.close()


async def main(listen):
    server = await asyncio.start_server(handle, *listen)
    host, port = server.sockets[0].getsockname()[:2]
    print(f"listening {host}:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, metavar="HOST:PORT")
    arguments = parser.parse_args()
    host, _, port = arguments.listen.rpartition(":")
    asyncio.run(main((host, int(port))))
    sys.exit(0)
