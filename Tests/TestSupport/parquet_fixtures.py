#!/usr/bin/env python3
"""Writes Parquet files with pyarrow covering each encoding, codec and nesting the
reader must handle, and beside each the rows pyarrow reads back, as JSON.

Usage: parquet_fixtures.py DIR
Writes DIR/<name>.parquet and DIR/<name>.json ({"rows": [...]}) for every case.
"""
import json
import os
import sys

import pyarrow as pa
import pyarrow.parquet as pq


def table():
    n = 300  # enough rows for several bit-packed and RLE runs
    return pa.table({
        "id": pa.array(range(n), pa.int64()),
        "small": pa.array([i % 7 for i in range(n)], pa.int32()),
        "flag": pa.array([None if i % 5 == 0 else i % 2 == 0 for i in range(n)], pa.bool_()),
        "ratio": pa.array([None if i % 4 == 0 else i + 0.5 for i in range(n)], pa.float64()),
        "half": pa.array([i * 0.25 + 0.125 for i in range(n)], pa.float32()),
        "name": pa.array([None if i % 3 == 0 else f"name-{i % 11}" for i in range(n)], pa.string()),
        "tags": pa.array([None if i % 6 == 0 else [f"t{j}" for j in range(i % 4)] for i in range(n)], pa.list_(pa.string())),
        "numbers": pa.array([[j if j % 2 else None for j in range(i % 3)] for i in range(n)], pa.list_(pa.int32())),
        "attrs": pa.array([None if i % 7 == 0 else {f"k{j}": (None if j == 1 else f"v{i}") for j in range(i % 3)} for i in range(n)],
                          pa.map_(pa.string(), pa.string())),
        "point": pa.array([None if i % 8 == 0 else {"x": i, "label": None if i % 2 else f"p{i}"} for i in range(n)],
                          pa.struct([("x", pa.int64()), ("label", pa.string())])),
        "items": pa.array([[{"sku": f"s{j}", "qty": j} for j in range(i % 3)] for i in range(n)],
                          pa.list_(pa.struct([("sku", pa.string()), ("qty", pa.int32())]))),
        "price": pa.array([None if i % 9 == 0 else f"{i}.25" for i in range(n)], pa.string()).cast(pa.decimal128(10, 2)),
    })


CASES = {
    "plain-uncompressed": dict(compression="none", use_dictionary=False),
    "dictionary-snappy": dict(compression="snappy", use_dictionary=True),
    "plain-gzip": dict(compression="gzip", use_dictionary=False),
    "dictionary-zstd": dict(compression="zstd", use_dictionary=True),
    "v2-pages-zstd": dict(compression="zstd", use_dictionary=True, data_page_version="2.0"),
    "v2-pages-plain-snappy": dict(compression="snappy", use_dictionary=False, data_page_version="2.0"),
    "small-pages-row-groups": dict(compression="snappy", use_dictionary=True, data_page_size=512, row_group_size=70),
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    data = table()
    for name, options in CASES.items():
        path = os.path.join(out, name + ".parquet")
        pq.write_table(data, path, **options)
        rows = pq.read_table(path).to_pylist()
        for row in rows:  # maps as objects, decimals as numbers: as the reader gives them
            row["attrs"] = None if row["attrs"] is None else {k: v for k, v in row["attrs"]}
            row["price"] = None if row["price"] is None else float(row["price"])
        with open(os.path.join(out, name + ".json"), "w") as handle:
            json.dump({"rows": rows}, handle)


if __name__ == "__main__":
    main()
