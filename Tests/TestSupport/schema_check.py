#!/usr/bin/env python3
"""Validates YAML documents against a JSON Schema with the `jsonschema` package.

Usage: schema_check.py SCHEMA_JSON FILE.yaml [FILE.yaml ...]
Prints {"checked": N, "errors": [{"file", "document", "path", "message"}]} and
exits 0 whether or not documents are invalid; 1 if the schema itself is not valid.
"""
import json
import sys

import jsonschema
import yaml


def main():
    with open(sys.argv[1]) as handle:
        schema = json.load(handle)
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as error:
        print(json.dumps({"schemaError": str(error)}))
        return 1
    validator = jsonschema.Draft202012Validator(schema)
    checked, errors = 0, []
    for path in sys.argv[2:]:
        with open(path) as handle:
            for index, document in enumerate(yaml.safe_load_all(handle)):
                if document is None:
                    continue
                checked += 1
                for error in validator.iter_errors(document):
                    errors.append({"file": path, "document": index, "path": "/".join(map(str, error.path)), "message": error.message})
    print(json.dumps({"checked": checked, "errors": errors}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
