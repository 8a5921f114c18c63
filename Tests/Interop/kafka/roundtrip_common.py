"""What the *_roundtrip.py clients share: arguments, the watchdog, the record check and the
one JSON summary line each prints on stdout.

Every script writes exactly one line on stdout, a JSON object with "ok" (true or false) and,
when false, "error"; a failure also goes to stderr as "<script>: FAILED: <reason>" and the
exit status is nonzero (1: a check failed or a client raised, 2: the --timeout watchdog fired).
Records are key "key-<i>", value "rec-<i>" for i in 0..<records.
"""

import argparse
import json
import os
import sys
import threading
import time

FAILED = 1
TIMED_OUT = 2


def parser(description):
    result = argparse.ArgumentParser(description=description)
    result.add_argument("--bootstrap", required=True, metavar="HOST:PORT", help="the broker, e.g. 127.0.0.1:9092")
    result.add_argument("--topic", required=True)
    result.add_argument("--records", type=positive, default=1000, metavar="N", help="records to produce (default 1000)")
    result.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS",
                        help="the whole run's limit; then exit 2 with the phase it was in (default 120)")
    return result


def positive(text):
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def key(i):
    return f"key-{i}".encode()


def value(i):
    return f"rec-{i}".encode()


class Run:
    """The summary being built, the current phase, and the watchdog that ends a hung run."""

    def __init__(self, name, timeout):
        self.name = name
        self.summary = {}
        self.phase = "starting"
        self.cleanups = []
        self.started = time.monotonic()
        self.deadline = self.started + timeout
        self.timeout = timeout
        self.lock = threading.Lock()
        self.done = False
        timer = threading.Timer(timeout, self._expired)
        timer.daemon = True
        timer.start()

    def remaining(self, at_least=0.1):
        return max(at_least, self.deadline - time.monotonic())

    def enter(self, phase):
        self.phase = phase
        print(f"{self.name}: [{time.monotonic() - self.started:.1f}s] {phase}", file=sys.stderr, flush=True)

    def _expired(self):
        self._end(TIMED_OUT, f"timed out after {self.timeout:g} s while {self.phase}")

    def fail(self, message):
        self._end(FAILED, message)

    def succeed(self):
        self._end(0, None)

    def _clean_up(self):
        for cleanup in self.cleanups:
            try:
                cleanup()
            except Exception as exception:  # a cleanup failing must not hide the result
                print(f"{self.name}: cleanup: {exception!r}", file=sys.stderr, flush=True)

    def _end(self, status, error):
        with self.lock:
            if self.done:
                return
            self.done = True
        # Cleanups (kill consumer processes, close clients) get 5 s, so that a hung client
        # cannot hold up the result either.
        cleaner = threading.Thread(target=self._clean_up, daemon=True)
        cleaner.start()
        cleaner.join(timeout=5)
        line = {"ok": status == 0}
        if error is not None:
            line["error"] = error
        line.update(self.summary)
        line["seconds"] = round(time.monotonic() - self.started, 3)
        print(json.dumps(line, sort_keys=False), flush=True)
        if error is not None:
            print(f"{self.name}: FAILED: {error}", file=sys.stderr, flush=True)
        sys.stderr.flush()
        # os._exit: client libraries' threads (librdkafka, kafka-python's IO thread) must not
        # keep a failed or timed-out run alive.
        os._exit(status)


class Tally:
    """Which of the expected records were consumed, how often, and anything unexpected."""

    def __init__(self, records):
        self.records = records
        self.counts = [0] * records
        self.unexpected = []  # (key, value) pairs that are not one of ours, first 10

    def add(self, record_key, record_value):
        index = parse_index(record_value)
        if index is None or index >= self.records or record_key != key(index):
            if len(self.unexpected) < 10:
                self.unexpected.append([describe(record_key), describe(record_value)])
            return
        self.counts[index] += 1

    @property
    def distinct(self):
        return sum(1 for count in self.counts if count > 0)

    @property
    def duplicates(self):
        return sum(count - 1 for count in self.counts if count > 1)

    def missing(self, limit=10):
        return [f"rec-{i}" for i, count in enumerate(self.counts) if count == 0][:limit]

    def summarize(self, summary):
        summary["distinct_consumed"] = self.distinct
        summary["duplicates"] = self.duplicates
        summary["missing"] = self.missing()
        summary["unexpected"] = self.unexpected

    def problem(self):
        if self.unexpected:
            return f"unexpected records (key/value not key-<i>/rec-<i> of this run): {self.unexpected}"
        if self.distinct != self.records:
            return f"consumed {self.distinct} of {self.records} distinct records; first missing: {self.missing()}"
        return None


def parse_index(record_value):
    if not isinstance(record_value, (bytes, bytearray)) or not record_value.startswith(b"rec-"):
        return None
    digits = record_value[4:]
    if not digits.isdigit():
        return None
    return int(digits)


def describe(data):
    if data is None:
        return None
    return bytes(data).decode("utf-8", "backslashreplace")


def offsets_problem(committed, end_offsets):
    """None when every partition's committed offset is its end offset, else what differs."""
    differing = {p: (committed.get(p), end) for p, end in end_offsets.items() if committed.get(p) != end}
    if not differing:
        return None
    return "committed offsets differ from end offsets (partition: [committed, end]): " + json.dumps(
        {str(p): list(pair) for p, pair in sorted(differing.items())})


def offsets_beyond_end(committed, end_offsets):
    """What is wrong when some partition's committed offset is past its end offset, else None."""
    beyond = {p: (committed[p], end) for p, end in end_offsets.items() if committed.get(p) is not None and committed[p] > end}
    if not beyond:
        return None
    return "committed offsets beyond the end offsets (partition: [committed, end]): " + json.dumps(
        {str(p): list(pair) for p, pair in sorted(beyond.items())})


def by_partition(mapping):
    """A {partition: offset} dict with string keys, in partition order, for the JSON line."""
    return {str(p): mapping[p] for p in sorted(mapping)}
