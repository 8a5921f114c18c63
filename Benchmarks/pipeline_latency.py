#!/usr/bin/env python3
"""Latency from a line appended to a tailed file until it is in the output file.

    pipeline_latency.py WEIR WORKDIR [--rate 10000] [--seconds 10] [--flush pagecache]

Starts `weir run` on a tail -> 4-partition topic -> filter -> file pipeline, appends
RATE lines per second for SECONDS seconds (each carrying the time it was written), reads
the output file as it grows and prints one JSON object: lines written and seen,
latency p50/p90/p99/max in milliseconds, and weir's peak RSS (VmHWM). Stops weir with SIGTERM.
"""
import argparse, json, os, signal, subprocess, sys, threading, time

parser = argparse.ArgumentParser()
parser.add_argument("weir")
parser.add_argument("workdir")
parser.add_argument("--rate", type=int, default=10000)
parser.add_argument("--seconds", type=float, default=10)
parser.add_argument("--flush", default="pagecache")
args = parser.parse_args()

os.makedirs(args.workdir, exist_ok=True)
source = os.path.join(args.workdir, "in.log")
output = os.path.join(args.workdir, "out.txt")
pipeline = os.path.join(args.workdir, "latency.yaml")
open(source, "w").close()
with open(pipeline, "w") as f:
    f.write(f"""name: latency
topics:
  lines: {{ partitions: 4, flush: {args.flush} }}
sources:
  tailed: {{ type: tail, paths: ["{source}"], topic: lines, scan_interval_ms: 100 }}
transforms:
  kept: {{ type: filter, inputs: [lines], condition: '.message starts_with "t="' }}
sinks:
  out: {{ type: file, inputs: [kept], path: "{output}", encoding: text }}
""")

weir = subprocess.Popen([args.weir, "run", "--quiet", "--data-dir", os.path.join(args.workdir, "data"), pipeline],
                        stderr=subprocess.PIPE, text=True)
# Up once the source has written its first checkpoint (the output file appears with the first line).
started = os.path.join(args.workdir, "data", "pipelines", "latency", "source-tailed.json")
deadline = time.time() + 10
while not os.path.exists(started):
    if time.time() > deadline or weir.poll() is not None:
        sys.exit("weir did not start: " + (weir.stderr.read() if weir.poll() is not None else "timeout"))
    time.sleep(0.01)
time.sleep(0.3)

total = int(args.rate * args.seconds)
filler = "x" * 150
latencies = []
done_writing = threading.Event()

def write():
    fd = os.open(source, os.O_WRONLY | os.O_APPEND)
    start = time.monotonic()
    n = 0
    while n < total:
        due = min(total, int((time.monotonic() - start) * args.rate) + 1)
        if due > n:
            now = time.time_ns()
            os.write(fd, "".join(f"t={now} n={i} {filler}\n" for i in range(n, due)).encode())
            n = due
        time.sleep(0.0005)
    os.close(fd)
    done_writing.set()

writer = threading.Thread(target=write)
writer.start()
seen = 0
buffer = b""
position = 0
give_up = None
while not os.path.exists(output):
    time.sleep(0.0005)
with open(output, "rb") as out:
    while seen < total:
        out.seek(position)
        chunk = out.read()
        now = time.time_ns()
        if chunk:
            position += len(chunk)
            buffer += chunk
            *complete, buffer = buffer.split(b"\n")
            for line in complete:
                written = int(line.split(b" ", 1)[0][2:])
                latencies.append((now - written) / 1e6)
                seen += 1
        else:
            time.sleep(0.0005)
        if done_writing.is_set():
            give_up = give_up or time.time() + 10
            if time.time() > give_up:
                break
writer.join()
with open(f"/proc/{weir.pid}/status") as status:
    rss_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
weir.send_signal(signal.SIGTERM)
weir.communicate(timeout=30)
latencies.sort()
def pct(p):
    return round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))], 2) if latencies else None
print(json.dumps({"rate": args.rate, "seconds": args.seconds, "flush": args.flush, "written": total, "seen": seen,
                  "p50_ms": pct(50), "p90_ms": pct(90), "p99_ms": pct(99), "max_ms": round(latencies[-1], 2) if latencies else None,
                  "peak_rss_mib": round(rss_kib / 1024, 1), "exit": weir.returncode}))
