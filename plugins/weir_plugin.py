"""Write a Weir transform plugin as one function (standard library only).

    import weir_plugin

    def mask(record, options):          # record: {"timestamp": ms, "fields": {...}}
        record["fields"]["message"] = record["fields"]["message"].upper()
        return record                    # a record, a list of records, or None to drop it

    weir_plugin.run_transform(mask)

The protocol (newline-delimited JSON on stdin/stdout, see plugins/README.md): Weir sends
{"type": "init", "options": {...}}, then {"type": "batch", "id": N, "records": [...]};
the plugin answers each batch with {"id": N, "records": [...]} or {"id": N, "error": "..."}.
Anything printed on stdout must be a reply: log to stderr.
"""
import json
import sys


def run_transform(function):
    options = {}
    for line in sys.stdin:
        message = json.loads(line)
        if message.get("type") == "init":
            options = message.get("options") or {}
            continue
        if message.get("type") != "batch":
            continue
        try:
            out = []
            for record in message["records"]:
                result = function(record, options)
                if result is None:
                    continue
                out.extend(result if isinstance(result, list) else [result])
            reply = {"id": message["id"], "records": out}
        except Exception as error:  # the batch is refused; Weir dead-letters it
            reply = {"id": message["id"], "error": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(reply, separators=(",", ":")) + "\n")
        sys.stdout.flush()
