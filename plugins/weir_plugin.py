"""Write a Weir plugin as one function (Python standard library only).

A transform:

    import weir_plugin

    def shout(record, options):           # {"timestamp": ms, "fields": {...}, ...}
        record["fields"]["message"] = record["fields"]["message"].upper()
        return record                      # a record, a list of records, or None to drop it

    weir_plugin.run_transform(shout)

A sink (return the indexes it refuses, if any; raise to have the batch sent again):

    def store(records, state):            # state: what setup(options) returned
        ...
    weir_plugin.run_sink(store, setup=lambda options: connect(options["path"]))

A source (return new records and the position after them; [] when there is nothing new):

    def read(position, options):          # position: None at the first start
        return [{"value": "a line"}], new_position
    weir_plugin.run_source(read)

The protocol is in plugins/README.md: newline-delimited JSON on stdin and stdout.
Anything printed on stdout must be protocol: log to stderr (Weir prefixes each line
with the plugin's name).
"""
import json
import select
import sys


def _send(message):
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def _messages():
    """Weir's messages until its close message or the end of stdin."""
    for line in sys.stdin:
        message = json.loads(line)
        if message.get("type") == "close":
            return
        yield message


def _describe(error):
    return f"{type(error).__name__}: {error}"


def _batches(setup):
    """Each batch Weir sends, with the state: setup(options), or the options."""
    state = None
    for message in _messages():
        if message.get("type") == "init":
            options = message.get("options") or {}
            state = setup(options) if setup else options
        elif message.get("type") == "batch":
            yield message, state


def run_transform(function, setup=None):
    """Calls function(record, state) for every record; state is setup(options), or the
    options. A record whose call raises goes to Weir's dead-letter topic with the error."""
    for message, state in _batches(setup):
        out, failed = [], []
        for index, record in enumerate(message["records"]):
            try:
                result = function(record, state)
            except Exception as error:  # this record only: dead-lettered by Weir
                failed.append({"index": index, "error": _describe(error)})
                continue
            if result is not None:
                out.extend(result if isinstance(result, list) else [result])
        reply = {"id": message["id"], "records": out}
        if failed:
            reply["failed"] = failed
        _send(reply)


def run_sink(function, setup=None):
    """Calls function(records, state) per batch; state is setup(options), or the options.
    It returns None, or [(index, reason), ...] for records it refuses for good (they go
    to the dead-letter topic). If it raises, Weir sends the batch again."""
    for message, state in _batches(setup):
        try:
            refused = function(message["records"], state) or []
        except Exception as error:
            _send({"id": message["id"], "error": _describe(error)})
            continue
        reply = {"id": message["id"]}
        if refused:
            reply["failed"] = [{"index": index, "error": str(reason)} for index, reason in refused]
        _send(reply)


def run_source(function, poll_interval=1.0):
    """Calls function(position, options) -> (records, position) until the run ends.
    Each call's records are appended together with the position it returns, and that
    position comes back as `position` after a restart. With `weir run --once` the source
    ends the first time a call returns no records. An option poll_ms, if the plugin
    declares one, sets how long to wait between calls that return nothing."""
    init = json.loads(sys.stdin.readline() or "{}")
    options = init.get("options") or {}
    poll_interval = options.get("poll_ms", poll_interval * 1000) / 1000
    position = init.get("position")
    once = bool(init.get("once"))
    connected = False
    while True:
        records, new_position = function(position, options)
        if records or new_position != position:
            _send({"records": records, "position": new_position})
            position = new_position
        elif not connected:
            # The first call returned: the input is reachable (weir's /ready waits for this).
            _send({"type": "ready"})
        connected = True
        if records:
            continue
        if once:
            _send({"type": "end"})
            return
        # Nothing new: wait, and stop when Weir says close (or its pipe ends).
        ready, _, _ = select.select([sys.stdin], [], [], poll_interval)
        if ready:
            line = sys.stdin.readline()
            if not line or json.loads(line).get("type") == "close":
                return
