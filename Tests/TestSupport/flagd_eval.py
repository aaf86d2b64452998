#!/usr/bin/env python3
"""Evaluates flags from a flagd flag file with the OpenFeature flagd provider
(in-process, file mode), as an application would.

Usage: flagd_eval.py FLAGS_JSON REQUESTS_JSON
REQUESTS_JSON is a list of {"flag", "type" (boolean|string|integer|float|object),
"default", "targetingKey", "attributes"}. Prints a JSON list of
{"flag", "targetingKey", "value", "variant", "reason", "error"} in the same order.
"""
import json
import sys

from openfeature import api
from openfeature.contrib.provider.flagd import FlagdProvider
from openfeature.contrib.provider.flagd.config import ResolverType
from openfeature.evaluation_context import EvaluationContext


def main():
    flags_path, requests_path = sys.argv[1], sys.argv[2]
    with open(requests_path) as handle:
        requests = json.load(handle)
    api.set_provider_and_wait(FlagdProvider(resolver_type=ResolverType.FILE, offline_flag_source_path=flags_path))
    client = api.get_client()
    getters = {
        "boolean": client.get_boolean_details,
        "string": client.get_string_details,
        "integer": client.get_integer_details,
        "float": client.get_float_details,
        "object": client.get_object_details,
    }
    results = []
    for request in requests:
        context = EvaluationContext(targeting_key=request.get("targetingKey"), attributes=request.get("attributes", {}))
        details = getters[request["type"]](request["flag"], request["default"], context)
        results.append({
            "flag": request["flag"],
            "targetingKey": request.get("targetingKey"),
            "value": details.value,
            "variant": details.variant,
            "reason": str(details.reason.value if hasattr(details.reason, "value") else details.reason),
            "error": str(details.error_code.value) if details.error_code else None,
        })
    api.shutdown()
    json.dump(results, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
