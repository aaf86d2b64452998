#!/usr/bin/env python3
"""Reads a Delta table's rows with two independent readers and prints them as JSON.

Usage: delta_rows.py TABLE_DIR
Prints {"deltars": [...], "duckdb": [...], "duckdbTypes": {...}}: the rows each reader
returns (sorted, values as JSON; decimals and dates as strings), read by delta-rs
through DataFusion (which honours column mapping) and by DuckDB's delta extension
(delta-kernel-rs), loaded from its PyPI package, offline. A reader that refuses the
table gives {"error": "..."} in place of its rows.
"""
import json
import os
import sys


def rows(table):
    return sorted((dict(row) for row in table), key=lambda row: json.dumps(row, sort_keys=True, default=str))


def deltars(path):
    import pyarrow as pa
    from deltalake import DeltaTable, QueryBuilder
    table = pa.table(QueryBuilder().register("t", DeltaTable(path)).execute("select * from t").read_all())
    return rows(table.to_pylist())


def duckdb_rows(path):
    import duckdb
    import duckdb_extension_delta
    extension = os.path.join(os.path.dirname(duckdb_extension_delta.__file__), "extensions", "v" + duckdb.__version__, "delta.duckdb_extension")
    connection = duckdb.connect()
    connection.execute(f"LOAD '{extension}'")
    relation = connection.execute("select * from delta_scan(?)", [os.path.abspath(path)])
    names = [column[0] for column in relation.description]
    found = rows(dict(zip(names, values)) for values in relation.fetchall())
    types = {row[0]: row[1] for row in connection.execute("describe select * from delta_scan(?)", [os.path.abspath(path)]).fetchall()}
    return found, types


def main():
    path = sys.argv[1]
    result = {}
    try:
        result["deltars"] = deltars(path)
    except Exception as error:
        result["deltars"] = {"error": f"{type(error).__name__}: {error}"}
    try:
        result["duckdb"], result["duckdbTypes"] = duckdb_rows(path)
    except Exception as error:
        result["duckdb"] = {"error": f"{type(error).__name__}: {error}"}
    json.dump(result, sys.stdout, sort_keys=True, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
