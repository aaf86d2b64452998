"""A repository of COUNT table manifests in 100 schemas, PER_FILE documents a file.

    python3 benchmarks/generate.py ROOT COUNT [PER_FILE]

Writes ROOT/environments/dev.yaml and ROOT/manifests/; the caller commits.
"""
import os
import sys

root, count = sys.argv[1], int(sys.argv[2])
per_file = int(sys.argv[3]) if len(sys.argv) > 3 else 1
os.makedirs(f"{root}/environments")
os.makedirs(f"{root}/manifests")
open(f"{root}/environments/dev.yaml", "w").write("""apiVersion: reconcile/v1
kind: Environment
metadata: { name: dev }
spec:
  target: { type: local, path: .lakehouse/dev }
  variables: { catalog: main }
  policy: { autoSync: true }
""")
docs = ["apiVersion: reconcile/v1\nkind: Catalog\nmetadata: { name: main }\n"]
for s in range(100):
    docs.append(f"apiVersion: reconcile/v1\nkind: Schema\nmetadata: {{ name: main.s{s} }}\n")
open(f"{root}/manifests/namespaces.yaml", "w").write("---\n".join(docs))


def table(i):
    s = i % 100
    columns = "\n".join(f"    - {{ name: c{j}, type: \"decimal(18,2)\", nullable: {str(j % 2 == 0).lower()}, comment: \"column {j} of table {i}\" }}" for j in range(12))
    return f"""apiVersion: reconcile/v1
kind: Table
metadata:
  name: ${{var.catalog}}.s{s}.t{i}
  labels: {{ layer: silver, owner: team{i % 7} }}
spec:
  comment: Table number {i}, generated for the benchmark
  columns:
    - {{ name: id, type: bigint, nullable: false }}
    - {{ name: tags, type: "map<string,string>" }}
    - {{ name: items, type: "array<struct<sku:string,quantity:int>>" }}
{columns}
  properties: {{ delta.appendOnly: "false", quality: silver }}
  constraints: {{ positive_id: id > 0 }}
"""


if per_file == 1:
    for i in range(count):
        os.makedirs(f"{root}/manifests/s{i % 100}", exist_ok=True)
        open(f"{root}/manifests/s{i % 100}/t{i}.yaml", "w").write(table(i))
else:
    os.makedirs(f"{root}/manifests/tables", exist_ok=True)
    for first in range(0, count, per_file):
        text = "---\n".join(table(i) for i in range(first, min(first + per_file, count)))
        open(f"{root}/manifests/tables/t{first // per_file}.yaml", "w").write(text)
