#!/usr/bin/env python3
"""Reads Delta tables with delta-rs and prints what it sees as JSON.

Usage: delta_inspect.py TABLE_DIR [TABLE_DIR ...]
Prints {"tables": {TABLE_DIR: {...}}} where each table has version, id, name,
description, partitionColumns, configuration, protocol (with writerFeatures at writer
version 7) and schema (the Spark
StructType JSON delta-rs reports). A table delta-rs cannot read is reported with
an "error" field instead, and the script exits 1.
"""
import json
import sys

from deltalake import DeltaTable


def inspect(path):
    table = DeltaTable(path)
    metadata = table.metadata()
    protocol = table.protocol()
    described_protocol = {
        "minReaderVersion": protocol.min_reader_version,
        "minWriterVersion": protocol.min_writer_version,
    }
    if protocol.writer_features:
        described_protocol["writerFeatures"] = sorted(protocol.writer_features)
    return {
        "version": table.version(),
        "id": metadata.id,
        "name": metadata.name,
        "description": metadata.description,
        "partitionColumns": list(metadata.partition_columns),
        "configuration": dict(metadata.configuration),
        "protocol": described_protocol,
        "schema": json.loads(table.schema().to_json()),
        "history": [entry.get("operation") for entry in table.history()],
    }


def main():
    result = {}
    failed = False
    for path in sys.argv[1:]:
        try:
            result[path] = inspect(path)
        except Exception as error:  # report every table, then fail
            result[path] = {"error": f"{type(error).__name__}: {error}"}
            failed = True
    json.dump({"tables": result}, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
