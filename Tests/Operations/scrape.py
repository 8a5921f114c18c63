#!/usr/bin/env python3
"""Scrapes a weir /metrics endpoint and parses it with prometheus_client's own
text-format parser (the one Prometheus's Python tooling uses), then prints the samples
as JSON: {"families": {name: type}, "samples": [{"name", "labels", "value"}]}.

A line the parser refuses fails the script, and so the test that runs it."""
import json
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def main():
    url = sys.argv[1]
    with urllib.request.urlopen(url, timeout=10) as response:
        content_type = response.headers.get("Content-Type", "")
        text = response.read().decode("utf-8")
    if not content_type.startswith("text/plain; version=0.0.4"):
        sys.exit(f"unexpected Content-Type: {content_type!r}")
    families = {}
    samples = []
    for family in text_string_to_metric_families(text):
        families[family.name] = family.type
        for sample in family.samples:
            samples.append({"name": sample.name, "labels": sample.labels, "value": sample.value})
    json.dump({"families": families, "samples": samples}, sys.stdout)


if __name__ == "__main__":
    main()
