#!/usr/bin/env python3
"""Evaluates flags over OFREP with the OpenFeature OFREP provider, and the same
requests with the flagd provider in process on a flag file, and prints both.

Usage: ofrep_eval.py BASE_URL FLAGS_JSON REQUESTS_JSON
REQUESTS_JSON: a list of {"flag", "type", "default", "targetingKey", "attributes"}.
Prints {"ofrep": [...], "flagd": [...]}, each a list of {"value", "variant", "reason", "error"}.
"""
import json
import sys

from openfeature import api
from openfeature.contrib.provider.flagd import FlagdProvider
from openfeature.contrib.provider.flagd.config import ResolverType
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext


def evaluate(client, requests):
    results = []
    for request in requests:
        getter = {
            "boolean": client.get_boolean_details, "string": client.get_string_details,
            "integer": client.get_integer_details, "float": client.get_float_details,
            "object": client.get_object_details,
        }[request["type"]]
        context = EvaluationContext(targeting_key=request.get("targetingKey"), attributes=request.get("attributes", {}))
        details = getter(request["flag"], request["default"], context)
        results.append({
            "value": details.value, "variant": details.variant,
            "reason": str(details.reason.value if hasattr(details.reason, "value") else details.reason),
            "error": str(details.error_code.value) if details.error_code else None,
        })
    return results


def main():
    base_url, flags_path, requests_path = sys.argv[1:4]
    with open(requests_path) as handle:
        requests = json.load(handle)
    api.set_provider_and_wait(OFREPProvider(base_url), domain="ofrep")
    api.set_provider_and_wait(FlagdProvider(resolver_type=ResolverType.FILE, offline_flag_source_path=flags_path), domain="flagd")
    output = {"ofrep": evaluate(api.get_client("ofrep"), requests), "flagd": evaluate(api.get_client("flagd"), requests)}
    api.shutdown()
    json.dump(output, sys.stdout)


if __name__ == "__main__":
    main()
