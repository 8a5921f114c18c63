"""Stores records in a SQLite table, idempotently: the primary key is the record's
topic, partition and offset, so a batch Weir sends again after a crash is not stored
twice (INSERT OR IGNORE), and each batch is one transaction."""
import json
import os
import re
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import weir_plugin  # noqa: E402


def setup(options):
    table = options.get("table", "records")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", table):
        raise SystemExit(f"table {table!r} must be a plain SQL name")
    os.makedirs(os.path.dirname(os.path.abspath(options["path"])), exist_ok=True)
    db = sqlite3.connect(options["path"])
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"""CREATE TABLE IF NOT EXISTS {table} (
        topic TEXT NOT NULL, partition INTEGER NOT NULL, "offset" INTEGER NOT NULL,
        timestamp INTEGER, message TEXT, fields TEXT NOT NULL,
        PRIMARY KEY (topic, partition, "offset"))""")
    return db, table


def store(records, state):
    db, table = state
    refused, rows = [], []
    for index, record in enumerate(records):
        if "offset" not in record:
            refused.append((index, "the record has no topic/partition/offset to key it by"))
            continue
        fields = record["fields"]
        rows.append((record["topic"], record["partition"], record["offset"], record.get("timestamp"),
                     fields.get("message"), json.dumps(fields, separators=(",", ":"), sort_keys=True)))
    with db:  # one transaction: all of the batch or none of it
        db.executemany(f'INSERT OR IGNORE INTO {table} (topic, partition, "offset", timestamp, message, fields) '
                       "VALUES (?, ?, ?, ?, ?, ?)", rows)
    return refused


weir_plugin.run_sink(store, setup=setup)
