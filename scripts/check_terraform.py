#!/usr/bin/env python3
"""Static checks for terraform/ where no Terraform binary can run.

Usage: check_terraform.py [DIR]   (default: terraform/ beside this script's parent)

1. Every .tf and .tfvars file parses with python-hcl2.
2. In every module directory, each var.X, local.X and module.X.Y reference resolves:
   the variable is declared, the local is defined, the module is called there and
   its source declares output Y.
3. Each call of a local module passes only variables the module declares, and
   every variable it declares without a default.
4. Each environments/*.tfvars sets only declared root variables, and all those
   without a default.
Errors read `path:line: error: ...`; the exit code is 1 when there is any.
"""
import json
import os
import re
import sys

import hcl2

META = {"source", "version", "count", "for_each", "providers", "depends_on", "__start_line__", "__end_line__"}
POSITION = {"__start_line__", "__end_line__"}


def scalar(value):
    """python-hcl2 wraps attribute values in a list."""
    return value[0] if isinstance(value, list) and value else value
REFERENCE = re.compile(r"\b(var|local|module)\.([A-Za-z_][A-Za-z0-9_-]*)(?:\[[^\]]*\])?(?:\.([A-Za-z_][A-Za-z0-9_-]*))?")


class Checker:
    def __init__(self, root):
        self.root = root
        self.errors = []
        self.parsed = {}

    def error(self, path, line, message):
        self.errors.append(f"{os.path.relpath(path)}:{line}: error: {message}")

    def parse(self, path):
        if path not in self.parsed:
            try:
                with open(path) as handle:
                    self.parsed[path] = hcl2.load(handle)
            except Exception as problem:  # the parser's own message names the place
                self.error(path, getattr(problem, "line", 1), f"does not parse as HCL: {str(problem).splitlines()[0]}")
                self.parsed[path] = {}
        return self.parsed[path]

    @staticmethod
    def line_of(path, needle):
        with open(path) as handle:
            for number, text in enumerate(handle, 1):
                if needle in text and not text.lstrip().startswith(("#", "//")):
                    return number
        return 1

    def module(self, directory):
        """Declarations of the module in `directory`."""
        files = sorted(os.path.join(directory, name) for name in os.listdir(directory) if name.endswith(".tf"))
        found = {"variables": {}, "locals": set(), "modules": {}, "outputs": set(), "files": files}
        for path in files:
            body = self.parse(path)
            for block in body.get("variable", []):
                for name, spec in block.items():
                    if name not in POSITION:
                        found["variables"][name] = "default" in spec
            for block in body.get("locals", []):
                found["locals"].update(set(block) - POSITION)
            for block in body.get("module", []):
                for name, spec in block.items():
                    if name not in POSITION:
                        found["modules"][name] = (spec, path)
            for block in body.get("output", []):
                found["outputs"].update(set(block) - POSITION)
        return found

    def check_module(self, directory):
        mine = self.module(directory)
        for path in mine["files"]:
            text = json.dumps(self.parse(path))
            for kind, name, attribute in sorted(set(REFERENCE.findall(text))):
                if kind == "var" and name not in mine["variables"]:
                    self.error(path, self.line_of(path, f"var.{name}"), f"var.{name} is used but no variable \"{name}\" is declared in {os.path.relpath(directory)}")
                elif kind == "local" and name not in mine["locals"]:
                    self.error(path, self.line_of(path, f"local.{name}"), f"local.{name} is used but no locals block defines it")
                elif kind == "module":
                    if name not in mine["modules"]:
                        self.error(path, self.line_of(path, f"module.{name}"), f"module.{name} is used but no module \"{name}\" is called here")
                        continue
                    source = scalar(mine["modules"][name][0].get("source", ""))
                    if attribute and source.startswith("."):
                        outputs = self.module(os.path.normpath(os.path.join(directory, source)))["outputs"]
                        if attribute not in outputs:
                            self.error(path, self.line_of(path, f"module.{name}"), f"module.{name}.{attribute}: {source} has no output \"{attribute}\"")
        for name, (spec, path) in mine["modules"].items():
            source = scalar(spec.get("source", ""))
            line = spec.get("__start_line__", 1)
            if not source.startswith("."):
                continue
            target = os.path.normpath(os.path.join(directory, source))
            if not os.path.isdir(target):
                self.error(path, line, f"module \"{name}\": source {source} is not a directory")
                continue
            declared = self.module(target)["variables"]
            for argument in spec:
                if argument not in META and argument not in declared:
                    self.error(path, self.line_of(path, argument), f"module \"{name}\" passes \"{argument}\", which {source} does not declare")
            for variable, has_default in declared.items():
                if not has_default and variable not in spec:
                    self.error(path, line, f"module \"{name}\" does not pass \"{variable}\", which {source} requires")
        return mine

    def run(self):
        for directory, _, names in sorted(os.walk(self.root)):
            if any(name.endswith(".tf") for name in names):
                self.check_module(directory)
        root_variables = self.module(self.root)["variables"]
        environments = os.path.join(self.root, "environments")
        for name in sorted(os.listdir(environments)) if os.path.isdir(environments) else []:
            if not name.endswith(".tfvars"):
                continue
            path = os.path.join(environments, name)
            values = self.parse(path)
            for key in set(values) - POSITION:
                if key not in root_variables:
                    self.error(path, self.line_of(path, key), f"\"{key}\" is not a variable of {os.path.relpath(self.root)}")
            for variable, has_default in root_variables.items():
                if not has_default and variable not in values:
                    self.error(path, 1, f"required variable \"{variable}\" is not set")
        return self.errors


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "terraform")
    errors = Checker(os.path.normpath(root)).run()
    for line in errors:
        print(line)
    files = sum(1 for _, _, names in os.walk(root) for name in names if name.endswith((".tf", ".tfvars")))
    print(f"{files} files checked, {len(errors)} error{'s' if len(errors) != 1 else ''}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
