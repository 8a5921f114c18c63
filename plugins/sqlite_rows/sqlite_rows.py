"""Reads the rows of a SQLite table in order of an increasing column (rowid by default)
and emits each as a JSON object. The position is the column's value of the last row
emitted: Weir stores it with the rows it appends, and hands it back after a restart, so
the next rows follow with nothing skipped and nothing read twice."""
import os
import re
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import weir_plugin  # noqa: E402

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
connection = None


def read(position, options):
    global connection
    table, column = options["table"], options.get("column", "rowid")
    for name in (table, column):
        if not NAME.fullmatch(name):
            raise SystemExit(f"{name!r} must be a plain SQL name")
    if connection is None:
        if not os.path.exists(options["path"]):
            raise SystemExit(f"{options['path']}: no such database")
        connection = sqlite3.connect(f"file:{options['path']}?mode=ro", uri=True)
        connection.row_factory = sqlite3.Row
    cursor = connection.execute(
        f"SELECT {column} AS weir_position, * FROM {table} WHERE ? IS NULL OR {column} > ? ORDER BY {column} LIMIT ?",
        (position, position, int(options.get("batch", 500))))
    rows = cursor.fetchall()
    if not rows:
        return [], position
    records = [{"fields": {key: row[key] for key in row.keys() if key != "weir_position"}} for row in rows]
    return records, rows[-1]["weir_position"]


weir_plugin.run_source(read, poll_interval=1.0)
