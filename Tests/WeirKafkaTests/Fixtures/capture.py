#!/usr/bin/env python3
"""A recording TCP proxy for the Kafka protocol (Python standard library only).

    capture.py --listen 127.0.0.1:PORT --upstream 127.0.0.1:PORT2 --out DIR
               [--client-name NAME] [--all] [--advertise HOST:PORT | --no-rewrite]

Forwards bytes both ways and, for each Kafka request frame a client sends (int32 size, then
the request header: int16 api key, int16 api version, int32 correlation id, ...), writes the
frame without its size prefix to

    DIR/<client>-<ApiName>-v<version>-request.bin

and the upstream's answer to it (matched by correlation id, in request order on each
connection) to the same name ending in -response.bin. By default only the first request of
each api key and version is written (and its response); with --all every one is, the n-th
(n >= 2) as <client>-<ApiName>-v<version>-<n>-request.bin and -<n>-response.bin.
A request that never gets a response (Produce with acks=0) is skipped when a later
correlation id is answered.

Clients open new connections to the addresses the broker gives in Metadata (brokers) and
FindCoordinator (the group coordinator) responses. So that those go through the proxy too,
the proxy forwards these two responses with every address replaced by its own listen
address (or --advertise); the files keep the bytes the broker sent. Everything else is
forwarded byte for byte. --no-rewrite turns this off.

--listen may use port 0; the bound address is printed on stdout ("listening HOST:PORT")
once the proxy accepts connections. Each file written is logged on stderr.
Exits 0 on SIGTERM or SIGINT.
"""

import argparse
import asyncio
import collections
import os
import signal
import struct
import sys

API_NAMES = {
    0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 4: "LeaderAndIsr",
    5: "StopReplica", 6: "UpdateMetadata", 7: "ControlledShutdown", 8: "OffsetCommit",
    9: "OffsetFetch", 10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat",
    13: "LeaveGroup", 14: "SyncGroup", 15: "DescribeGroups", 16: "ListGroups",
    17: "SaslHandshake", 18: "ApiVersions", 19: "CreateTopics", 20: "DeleteTopics",
    21: "DeleteRecords", 22: "InitProducerId", 23: "OffsetForLeaderEpoch",
    24: "AddPartitionsToTxn", 25: "AddOffsetsToTxn", 26: "EndTxn", 27: "WriteTxnMarkers",
    28: "TxnOffsetCommit", 29: "DescribeAcls", 30: "CreateAcls", 31: "DeleteAcls",
    32: "DescribeConfigs", 33: "AlterConfigs", 34: "AlterReplicaLogDirs",
    35: "DescribeLogDirs", 36: "SaslAuthenticate", 37: "CreatePartitions",
    38: "CreateDelegationToken", 39: "RenewDelegationToken", 40: "ExpireDelegationToken",
    41: "DescribeDelegationToken", 42: "DeleteGroups", 43: "ElectLeaders",
    44: "IncrementalAlterConfigs", 45: "AlterPartitionReassignments",
    46: "ListPartitionReassignments", 47: "OffsetDelete", 48: "DescribeClientQuotas",
    49: "AlterClientQuotas", 50: "DescribeUserScramCredentials",
    51: "AlterUserScramCredentials", 52: "Vote", 53: "BeginQuorumEpoch",
    54: "EndQuorumEpoch", 55: "DescribeQuorum", 56: "AlterPartition", 57: "UpdateFeatures",
    58: "Envelope", 59: "FetchSnapshot", 60: "DescribeCluster", 61: "DescribeProducers",
    62: "BrokerRegistration", 63: "BrokerHeartbeat", 64: "UnregisterBroker",
    65: "DescribeTransactions", 66: "ListTransactions", 67: "AllocateProducerIds",
    68: "ConsumerGroupHeartbeat", 69: "ConsumerGroupDescribe",
    70: "ControllerRegistration", 71: "GetTelemetrySubscriptions", 72: "PushTelemetry",
    73: "AssignReplicasToDirs", 74: "ListClientMetricsResources",
    75: "DescribeTopicPartitions",
}

# A frame larger than this is taken as a sign the stream is not Kafka (or we lost sync):
# parsing stops for that direction, forwarding goes on.
MAX_FRAME = 256 * 1024 * 1024


def log(message):
    print(f"capture: {message}", file=sys.stderr, flush=True)


def host_port(text):
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


class Frames:
    """Splits a byte stream into size-prefixed frames (returned without their prefix).

    After a size out of range it gives up: `broken` is set and what it had buffered, and all
    later data, comes back from `feed` as raw bytes to forward unparsed."""

    def __init__(self):
        self.buffer = bytearray()
        self.broken = False

    def feed(self, data):
        """Returns (frames, raw bytes that are not frames)."""
        if self.broken:
            return [], data
        self.buffer += data
        frames = []
        while len(self.buffer) >= 4:
            (size,) = struct.unpack_from(">i", self.buffer, 0)
            if size < 0 or size > MAX_FRAME:
                self.broken = True
                log(f"frame size {size} out of range; no longer parsing this direction")
                raw = bytes(self.buffer)
                self.buffer.clear()
                return frames, raw
            if len(self.buffer) < 4 + size:
                break
            frames.append(bytes(self.buffer[4:4 + size]))
            del self.buffer[:4 + size]
        return frames, b""


class Cursor:
    """Reads Kafka primitives from a frame, in the classic or the flexible (compact) encoding."""

    def __init__(self, data, offset=0):
        self.data = data
        self.offset = offset

    def take(self, count):
        if count < 0 or self.offset + count > len(self.data):
            raise ValueError("truncated")
        chunk = self.data[self.offset:self.offset + count]
        self.offset += count
        return chunk

    def int16(self):
        return struct.unpack(">h", self.take(2))[0]

    def int32(self):
        return struct.unpack(">i", self.take(4))[0]

    def uvarint(self):
        value, shift = 0, 0
        while True:
            byte = self.take(1)[0]
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7
            if shift > 28:
                raise ValueError("varint too long")

    def string(self, flexible):
        """A (nullable) string: int16 length, or in flexible versions uvarint length + 1."""
        length = self.uvarint() - 1 if flexible else self.int16()
        return None if length < 0 else self.take(length).decode("utf-8", "replace")

    def array_length(self, flexible):
        return self.uvarint() - 1 if flexible else self.int32()

    def tagged_fields(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())


def encode_string(text, flexible):
    data = text.encode()
    return uvarint(len(data) + 1) + data if flexible else struct.pack(">h", len(data)) + data


def uvarint(value):
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def rewrite_addresses(key, version, frame, host, port):
    """The response frame with every broker address replaced by host:port, or the frame itself.

    Clients connect to the brokers a Metadata response lists and to the coordinator a
    FindCoordinator response names; pointing those at the proxy keeps all of a client's
    connections going through it. Only the address fields change; the rest is copied."""
    try:
        if key == 3:  # Metadata: [throttle (v3+)] brokers [node, host, port, rack (v1+)] ...
            flexible = version >= 9
            cursor = Cursor(frame, 4)
            if flexible:
                cursor.tagged_fields()  # response header v1
            if version >= 3:
                cursor.int32()
            count = cursor.array_length(flexible)
            pieces = [frame[:cursor.offset]]
            for _ in range(max(count, 0)):
                start = cursor.offset
                cursor.int32()
                pieces.append(frame[start:cursor.offset])
                cursor.string(flexible)
                cursor.int32()
                pieces.append(encode_string(host, flexible) + struct.pack(">i", port))
                start = cursor.offset
                if version >= 1:
                    cursor.string(flexible)
                if flexible:
                    cursor.tagged_fields()
                pieces.append(frame[start:cursor.offset])
            pieces.append(frame[cursor.offset:])
            return b"".join(pieces)
        if key == 10:  # FindCoordinator
            flexible = version >= 3
            cursor = Cursor(frame, 4)
            if flexible:
                cursor.tagged_fields()
            if version >= 1:
                cursor.int32()
            if version <= 3:  # [throttle] error, [message], node, host, port
                cursor.int16()
                if version >= 1:
                    cursor.string(flexible)
                cursor.int32()
                start = cursor.offset
                cursor.string(flexible)
                cursor.int32()
                return frame[:start] + encode_string(host, flexible) + struct.pack(">i", port) + frame[cursor.offset:]
            count = cursor.array_length(True)  # v4+: coordinators [key, node, host, port, error, message]
            pieces = [frame[:cursor.offset]]
            for _ in range(max(count, 0)):
                start = cursor.offset
                cursor.string(True)
                cursor.int32()
                pieces.append(frame[start:cursor.offset])
                cursor.string(True)
                cursor.int32()
                pieces.append(encode_string(host, True) + struct.pack(">i", port))
                start = cursor.offset
                cursor.int16()
                cursor.string(True)
                cursor.tagged_fields()
                pieces.append(frame[start:cursor.offset])
            pieces.append(frame[cursor.offset:])
            return b"".join(pieces)
    except (ValueError, struct.error) as error:
        log(f"cannot read the addresses in a {API_NAMES[key]} v{version} response ({error}); forwarded as is")
    return frame


class Recorder:
    def __init__(self, out, client, record_all):
        self.out = out
        self.client = client
        self.record_all = record_all
        self.counts = collections.Counter()

    def request(self, frame):
        """Records a request frame; returns (correlation id, key, version, file stem or None)."""
        key, version, correlation = struct.unpack_from(">hhi", frame, 0)
        name = API_NAMES.get(key, f"Api{key}")
        base = f"{self.client}-{name}-v{version}"
        self.counts[base] += 1
        n = self.counts[base]
        stem = None
        if n == 1:
            stem = base
        elif self.record_all:
            stem = f"{base}-{n}"
        if stem is not None:
            self.write(f"{stem}-request.bin", frame)
        return correlation, key, version, stem

    def write(self, filename, data):
        path = os.path.join(self.out, filename)
        temporary = path + ".tmp"
        with open(temporary, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
        log(f"wrote {filename} ({len(data)} bytes)")


async def pump(reader, writer, transform):
    """Copies reader to writer, each chunk through transform (which may hold bytes back)."""
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            data = transform(data)
            if data:
                writer.write(data)
                await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            writer.write_eof()
        except (OSError, RuntimeError):
            writer.close()


async def handle(client_reader, client_writer, arguments, recorder, connections):
    peer = "%s:%s" % client_writer.get_extra_info("peername")[:2]
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection(*arguments.upstream)
    except OSError as error:
        log(f"{peer}: cannot reach upstream {arguments.upstream[0]}:{arguments.upstream[1]}: {error}")
        client_writer.close()
        return
    connections.add(client_writer)
    connections.add(upstream_writer)
    pending = collections.deque()  # (correlation id, key, version, stem or None), in request order
    requests, responses = Frames(), Frames()

    def on_request_bytes(data):
        frames, _ = requests.feed(data)
        for frame in frames:
            if len(frame) < 8:
                log(f"{peer}: request frame of {len(frame)} bytes is too short for a header; ignored")
                continue
            pending.append(recorder.request(frame))
        return data  # requests are forwarded exactly as they come

    def on_response_bytes(data):
        frames, raw = responses.feed(data)
        forward = []
        for frame in frames:
            forward.append(response_frame(frame))
        if arguments.no_rewrite:
            return data
        return b"".join(struct.pack(">i", len(frame)) + frame for frame in forward) + raw

    def response_frame(frame):
        """Records a response frame; returns what to forward (addresses rewritten)."""
        if len(frame) < 4:
            log(f"{peer}: response frame of {len(frame)} bytes; forwarded, not recorded")
            return frame
        (correlation,) = struct.unpack_from(">i", frame, 0)
        if not any(entry[0] == correlation for entry in pending):
            log(f"{peer}: response with unknown correlation id {correlation}; forwarded, not recorded")
            return frame
        while pending:
            c, key, version, stem = pending.popleft()
            if c == correlation:
                if stem is not None:
                    recorder.write(f"{stem}-response.bin", frame)
                if arguments.no_rewrite:
                    return frame
                return rewrite_addresses(key, version, frame, *arguments.advertise)
            log(f"{peer}: request {c} got no response (acks=0?)")
        return frame

    try:
        await asyncio.gather(
            pump(client_reader, upstream_writer, on_request_bytes),
            pump(upstream_reader, client_writer, on_response_bytes),
        )
    except asyncio.CancelledError:
        pass  # shutting down
    finally:
        for writer in (client_writer, upstream_writer):
            connections.discard(writer)
            writer.close()


async def main(arguments):
    os.makedirs(arguments.out, exist_ok=True)
    recorder = Recorder(arguments.out, arguments.client_name, arguments.all)
    connections = set()
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, arguments, recorder, connections),
        *arguments.listen,
    )
    host, port = server.sockets[0].getsockname()[:2]
    if arguments.advertise is None:
        arguments.advertise = ("127.0.0.1" if host in ("0.0.0.0", "::") else host, port)
    print(f"listening {host}:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()
        server.close()
        for writer in list(connections):
            writer.close()
    log("stopped")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description="Kafka recording proxy: writes each request/response frame kind to DIR.")
    parser.add_argument("--listen", type=host_port, required=True, metavar="HOST:PORT")
    parser.add_argument("--upstream", type=host_port, required=True, metavar="HOST:PORT")
    parser.add_argument("--out", required=True, metavar="DIR")
    parser.add_argument("--client-name", default="client", metavar="NAME",
                        help="file name prefix (default: client)")
    parser.add_argument("--all", action="store_true",
                        help="write every request and response, not only the first of each key and version")
    parser.add_argument("--advertise", type=host_port, metavar="HOST:PORT",
                        help="the address put in Metadata and FindCoordinator responses (default: the listen address)")
    parser.add_argument("--no-rewrite", action="store_true",
                        help="forward responses unchanged (clients then connect to the broker directly after bootstrap)")
    asyncio.run(main(parser.parse_args()))
    sys.exit(0)
