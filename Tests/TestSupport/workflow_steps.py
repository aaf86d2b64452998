#!/usr/bin/env python3
"""Prints the `run:` steps of a GitHub Actions workflow as JSON, for tests that run
them: {"JOB": [{"name": ..., "run": ..., "env": {...}}, ...], ...}.

Usage: workflow_steps.py WORKFLOW_YML
"""
import json
import sys

import yaml


def main():
    with open(sys.argv[1]) as handle:
        workflow = yaml.safe_load(handle)
    jobs = {}
    for name, job in workflow["jobs"].items():
        jobs[name] = [{"name": step.get("name", ""), "run": step["run"], "env": step.get("env", {})}
                      for step in job.get("steps", []) if "run" in step]
    json.dump(jobs, sys.stdout, indent=2)


if __name__ == "__main__":
    main()
