#!/usr/bin/env python3
"""Parses Prometheus text exposition from stdin with prometheus_client's parser.

Prints {"families": {name: type}, "samples": [{"name", "labels", "value"}]}; exits 1
if the text does not parse.
"""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = sys.stdin.read()
    families, samples = {}, []
    for family in text_string_to_metric_families(text):
        families[family.name] = family.type
        for sample in family.samples:
            samples.append({"name": sample.name, "labels": dict(sample.labels), "value": sample.value})
    json.dump({"families": families, "samples": samples}, sys.stdout)


if __name__ == "__main__":
    main()
