#!/usr/bin/env python3
"""Independent reader/writer for Apache Kafka RecordBatch v2 (magic 2) segment files.

Cross-checks the Swift implementation; standard library only. A segment (.log) file is
record batches back to back, nothing else. All fixed-size integers are big-endian.

Batch header (61 bytes, byte offset: field):
   0 baseOffset i64      8 batchLength i32 (batch size - 12)   12 partitionLeaderEpoch i32
  16 magic i8 (=2)      17 crc u32    21 attributes i16    23 lastOffsetDelta i32
  27 baseTimestamp i64  35 maxTimestamp i64  43 producerId i64  51 producerEpoch i16
  53 baseSequence i32   57 recordsCount i32  61 records...
crc: CRC-32C (Castagnoli, reflected poly 0x82F63B78, init/xorout 0xFFFFFFFF) over bytes
21..end of batch. attributes bits 0-2 = codec: 0 none, 1 gzip (all records form ONE gzip
blob; zlib framing is accepted too when reading); 2/3/4 are rejected.

Record (varints are zigzag + base-128 little-endian groups; varint <= 5, varlong <= 10 bytes):
  length varint (bytes after it), attributes i8 (0), timestampDelta varlong, offsetDelta
  varint, keyLength varint (-1 = null) + key, valueLength varint (-1 = null) + value,
  headerCount varint, per header: keyLength varint + UTF-8 key, valueLength varint
  (-1 = null) + value.

Usage:
  kafka_batch.py decode FILE   # stdout, one JSON line per record: {"offset", "timestamp",
                               #   "key": b64|null, "value": b64|null,
                               #   "headers": [[key, b64|null], ...], "codec"}
  kafka_batch.py encode OUT_FILE [--codec 0|1] [--base-offset N] [--records-per-batch K]
                 [--partition-leader-epoch E]   # JSON lines (same shape) on stdin
  kafka_batch.py selftest      # CRC-32C("123456789") == 0xE3069283
Encoder: partitionLeaderEpoch 0 unless given, producerId/producerEpoch/baseSequence -1,
attributes = codec, gzip.compress(compresslevel=6, mtime=0) so output is deterministic.
"""
import argparse, base64, gzip, json, struct, sys, zlib

HEADER = struct.Struct(">qiibIhiqqqhii")  # 61 bytes, fields in on-disk order
AFTER_CRC = struct.Struct(">hiqqqhii")    # attributes .. recordsCount (40 bytes)
assert HEADER.size == 61 and AFTER_CRC.size == 40


class FormatError(Exception):
    pass


def _crc_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


CRC_TABLE = _crc_table()


def crc32c(data):
    crc, table = 0xFFFFFFFF, CRC_TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


# ---------------------------------------------------------------- decoding

class Reader:
    """Cursor over a buffer; `where(pos)` turns a buffer position into a message."""

    def __init__(self, buf, where):
        self.buf, self.pos, self.where = buf, 0, where

    def need(self, n):
        if self.pos + n > len(self.buf):
            raise FormatError(f"truncated data at {self.where(self.pos)}")

    def varint(self, bits):
        start, z = self.pos, 0
        for i in range(5 if bits == 32 else 10):
            self.need(1)
            b = self.buf[self.pos]
            self.pos += 1
            z |= (b & 0x7F) << (7 * i)
            if not b & 0x80:
                if z >> bits:
                    raise FormatError(f"varint overflows int{bits} at {self.where(start)}")
                return (z >> 1) ^ -(z & 1)
        raise FormatError(f"varint too long at {self.where(start)}")

    def bytes_or_null(self):
        start, n = self.pos, self.varint(32)
        if n < -1:
            raise FormatError(f"invalid length {n} at {self.where(start)}")
        if n == -1:
            return None
        self.need(n)
        self.pos += n
        return bytes(self.buf[self.pos - n:self.pos])


def decompress_any(data):
    """Inflate gzip (RFC 1952, possibly multi-member) or zlib (RFC 1950) data."""
    out = []
    while data:
        d = zlib.decompressobj(wbits=47)
        out.append(d.decompress(data))
        if not d.eof:
            raise FormatError("truncated compressed stream")
        data = d.unused_data
    return b"".join(out)


def b64(b):
    return None if b is None else base64.b64encode(b).decode("ascii")


def read_record(r, base_off, base_ts, codec):
    start = r.pos
    length = r.varint(32)
    end = r.pos + length
    if length < 0 or end > len(r.buf):
        raise FormatError(f"bad record length {length} at {r.where(start)}")
    r.need(1)
    if r.buf[r.pos] != 0:  # record attributes: unused, must be 0
        raise FormatError(f"record attributes {r.buf[r.pos]} != 0 at {r.where(r.pos)}")
    r.pos += 1
    ts_delta, off_delta = r.varint(64), r.varint(32)
    key, value = r.bytes_or_null(), r.bytes_or_null()
    hstart, hcount = r.pos, r.varint(32)
    if hcount < 0:
        raise FormatError(f"negative header count {hcount} at {r.where(hstart)}")
    headers = []
    for _ in range(hcount):
        kpos, hkey = r.pos, r.bytes_or_null()
        if hkey is None:
            raise FormatError(f"null header key at {r.where(kpos)}")
        try:
            hkey = hkey.decode("utf-8")
        except UnicodeDecodeError:
            raise FormatError(f"header key is not UTF-8 at {r.where(kpos)}") from None
        headers.append([hkey, b64(r.bytes_or_null())])
    if r.pos != end:
        raise FormatError(f"record at {r.where(start)} declares length {length} "
                          f"but its fields use {r.pos - (end - length)} bytes")
    return off_delta, {"offset": base_off + off_delta, "timestamp": base_ts + ts_delta,
                       "key": b64(key), "value": b64(value), "headers": headers,
                       "codec": codec}


def decode_file(data):
    pos = 0
    while pos < len(data):
        if len(data) - pos < HEADER.size:
            raise FormatError(f"truncated batch header at byte {pos} "
                              f"({len(data) - pos} bytes left)")
        (base_off, blen, _ple, magic, crc, attrs, last_delta, base_ts, max_ts,
         _pid, _pepoch, _bseq, count) = HEADER.unpack_from(data, pos)
        if magic != 2:
            raise FormatError(f"unsupported magic {magic} at byte {pos + 16}")
        end = pos + 12 + blen
        if blen < HEADER.size - 12 or end > len(data):
            raise FormatError(f"bad batchLength {blen} at byte {pos + 8} "
                              f"(batch would end at {end}, file size {len(data)})")
        actual = crc32c(memoryview(data)[pos + 21:end])
        if actual != crc:
            raise FormatError(f"CRC mismatch in batch at byte {pos}: stored 0x{crc:08X} "
                              f"(at byte {pos + 17}), computed 0x{actual:08X} "
                              f"over bytes {pos + 21}..{end - 1}")
        codec, body_pos = attrs & 0x07, pos + HEADER.size
        body = data[body_pos:end]
        if codec == 0:
            r = Reader(body, lambda p, b=body_pos: f"byte {b + p}")
        elif codec == 1:
            try:
                body = decompress_any(body)
            except (zlib.error, FormatError) as e:
                raise FormatError(f"cannot decompress batch at byte {pos} "
                                  f"(records at byte {body_pos}): {e}") from None
            r = Reader(body, lambda p, b=pos: f"decompressed byte {p} of batch at byte {b}")
        else:
            raise FormatError(f"unsupported compression codec {codec} "
                              f"(batch at byte {pos}, attributes at byte {pos + 21})")
        if count < 0:
            raise FormatError(f"negative recordsCount {count} at byte {pos + 57}")
        records = [read_record(r, base_off, base_ts, codec) for _ in range(count)]
        if r.pos != len(r.buf):
            raise FormatError(f"recordsCount {count} (byte {pos + 57}) but "
                              f"{len(r.buf) - r.pos} bytes remain at {r.where(r.pos)}")
        if records:
            if records[-1][0] != last_delta:
                raise FormatError(f"lastOffsetDelta {last_delta} at byte {pos + 23} != "
                                  f"last record offsetDelta {records[-1][0]}")
            real_max = max(rec["timestamp"] for _, rec in records)
            if real_max != max_ts:
                raise FormatError(f"maxTimestamp {max_ts} at byte {pos + 35} != "
                                  f"max record timestamp {real_max}")
        yield from (rec for _, rec in records)
        pos = end


# ---------------------------------------------------------------- encoding

def zigzag(n, bits):
    if not -(1 << (bits - 1)) <= n < (1 << (bits - 1)):
        raise ValueError(f"{n} does not fit in int{bits}")
    z, out = (n << 1) ^ (n >> 63), bytearray()
    while z >= 0x80:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


def len_prefixed(b):
    return zigzag(-1, 32) if b is None else zigzag(len(b), 32) + b


def encode_record(rec, off_delta, base_ts):
    body = b"".join([b"\x00", zigzag(rec["timestamp"] - base_ts, 64), zigzag(off_delta, 32),
                     len_prefixed(rec["key"]), len_prefixed(rec["value"]),
                     zigzag(len(rec["headers"]), 32)]
                    + [len_prefixed(k.encode("utf-8")) + len_prefixed(v)
                       for k, v in rec["headers"]])
    return zigzag(len(body), 32) + body


def encode_batch(recs, base_offset, codec, leader_epoch):
    base_ts = recs[0]["timestamp"]
    payload = b"".join(encode_record(r, i, base_ts) for i, r in enumerate(recs))
    if codec == 1:
        payload = gzip.compress(payload, compresslevel=6, mtime=0)
    tail = AFTER_CRC.pack(codec, len(recs) - 1, base_ts, max(r["timestamp"] for r in recs),
                          -1, -1, -1, len(recs)) + payload
    return struct.pack(">qiibI", base_offset, 9 + len(tail), leader_epoch, 2,
                       crc32c(tail)) + tail


def parse_input_line(line, lineno):
    try:
        obj = json.loads(line)
        ts = obj.get("timestamp") if isinstance(obj, dict) else None
        if not isinstance(ts, int) or isinstance(ts, bool):
            raise ValueError("integer 'timestamp' required")
        unb64 = lambda s: None if s is None else base64.b64decode(s, validate=True)
        return {"timestamp": ts, "key": unb64(obj.get("key")),
                "value": unb64(obj.get("value")),
                "headers": [(str(k), unb64(v)) for k, v in obj.get("headers") or []]}
    except (ValueError, TypeError, AttributeError) as e:
        raise ValueError(f"stdin line {lineno}: {e}") from None


def main():
    ap = argparse.ArgumentParser(description="Kafka RecordBatch v2 decoder/encoder")
    sub = ap.add_subparsers(dest="cmd", required=True)
    dec = sub.add_parser("decode", help="print records of a segment file as JSON lines")
    dec.add_argument("file")
    enc = sub.add_parser("encode", help="write JSON-line records from stdin as batches")
    enc.add_argument("out_file")
    enc.add_argument("--codec", type=int, choices=[0, 1], default=0)
    enc.add_argument("--base-offset", type=int, default=0)
    enc.add_argument("--records-per-batch", type=int, default=None)
    enc.add_argument("--partition-leader-epoch", type=int, default=0)
    sub.add_parser("selftest", help="check the CRC-32C test vector")
    args = ap.parse_args()
    try:
        if args.cmd == "selftest":
            assert crc32c(b"123456789") == 0xE3069283, "CRC-32C test vector failed"
            print("ok")
        elif args.cmd == "decode":
            with open(args.file, "rb") as f:
                data = f.read()
            records = list(decode_file(data))  # validate everything before printing
            sys.stdout.write("".join(json.dumps(r, separators=(",", ":")) + "\n"
                                     for r in records))
        else:
            recs = [parse_input_line(line, n) for n, line in enumerate(sys.stdin.buffer, 1)
                    if line.strip()]
            k = args.records_per_batch
            k = max(len(recs), 1) if k is None else k
            if k < 1:
                raise ValueError("--records-per-batch must be >= 1")
            with open(args.out_file, "wb") as f:
                for i in range(0, len(recs), k):
                    f.write(encode_batch(recs[i:i + k], args.base_offset + i, args.codec,
                                         args.partition_leader_epoch))
    except (FormatError, ValueError, KeyError, TypeError, OSError, AssertionError) as e:
        print(f"{sys.argv[0]}: error: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
