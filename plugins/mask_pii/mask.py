"""Masks IPv4 addresses and e-mail addresses in a record's string fields."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import weir_plugin  # noqa: E402

PATTERN = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def mask(record, options):
    replacement = options.get("replacement", "***")
    for name in options.get("fields") or ["message"]:
        value = record["fields"].get(name)
        if isinstance(value, str):
            record["fields"][name] = PATTERN.sub(replacement, value)
    return record


weir_plugin.run_transform(mask)
