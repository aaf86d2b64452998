#!/usr/bin/env python3
"""Reads a Delta table's rows with two independent readers and prints them as JSON.

Usage: delta_rows.py TABLE_DIR
Prints {"deltars": [...], "duckdb": [...], "duckdbTypes": {...}, "sail": [...]}: the
rows each reader returns (sorted, values as JSON; decimals and dates as strings),
read by delta-rs through DataFusion (which honours column mapping), by DuckDB's delta
extension (delta-kernel-rs), loaded from its PyPI package, offline, and by Sail, a
Spark Connect server, through PySpark's Spark API. A reader that refuses the table
gives {"error": "..."} in place of its rows.
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


def sail_rows(path):
    from pysail.spark import SparkConnectServer
    from pyspark.sql import SparkSession
    server = SparkConnectServer(ip="127.0.0.1", port=0)
    server.start(background=True)
    _, port = server.listening_address
    spark = SparkSession.builder.remote(f"sc://127.0.0.1:{port}").getOrCreate()
    frame = spark.read.format("delta").load(os.path.abspath(path))
    return rows(row.asDict() for row in frame.collect())


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
    try:
        result["sail"] = sail_rows(path)
    except Exception as error:
        result["sail"] = {"error": f"{type(error).__name__}: {error}"}
    json.dump(result, sys.stdout, sort_keys=True, default=str)
    sys.stdout.write("\n")
    sys.stdout.flush()
    # The Spark Connect client's threads can keep the interpreter alive: leave at once.
    os._exit(0)


if __name__ == "__main__":
    main()
