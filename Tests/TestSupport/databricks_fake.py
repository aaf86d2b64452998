#!/usr/bin/env python3
"""A fake Databricks workspace for tests: the Unity Catalog catalogs, schemas,
tables (with column masks and row filters), functions, entity tag assignments,
models (versions, aliases) and permissions APIs, the Pipelines API (with
expected_last_modified), the Jobs API (list by name, create, reset, delete) and the
SQL Statement Execution API, field by field as documented, with state changed by
the DDL reconcile generates.

It checks the bearer token (401 otherwise), pages every list (by PAGE items),
answers every 5th list request 429 with Retry-After: 0, runs statements through
PENDING -> RUNNING -> SUCCEEDED (or FAILED for a CHECK naming `fail_here`),
refuses request bodies with unknown or missing fields (400), and logs each request
as a JSON line to LOG for the tests to count.

Usage: databricks_fake.py PORT TOKEN WAREHOUSE LOG [PAGE] [SEED_JSON]
SEED_JSON preloads {"catalogs": [..], "schemas": [..], "tables": {full_name: [[column, type], ...]},
"model_versions": {full_name: [[version, source, run_id], ...]}} (versions as mlflow registers them).
Permissions of a securable whose name contains "forbidden" answer 403.
"""
import json
import re
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

PORT, TOKEN, WAREHOUSE, LOG = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
PAGE = int(sys.argv[5]) if len(sys.argv) > 5 else 100
lock = threading.Lock()
catalogs, schemas, tables, grants, statements = {}, {}, {}, {}, {}
functions, tags = {}, {}  # full name -> FunctionInfo fields; (entity type, full name) -> {key: value}
pipelines, jobs, models, registered = {}, {}, {}, {}
counter = {"lists": 0, "clock": 1700000000000, "job": 100}
# Requests being answered at once (each logged with the count when it arrived).
inflight = {"now": 0}
inflight_lock = threading.Lock()
PIPELINE_FIELDS = {"name", "catalog", "target", "libraries", "configuration", "continuous", "development"}
JOB_FIELDS = {"name", "tags", "max_concurrent_runs", "schedule", "tasks"}


def tick():
    counter["clock"] += 1000
    return counter["clock"]

TYPES = {"BIGINT": "long", "INT": "integer", "STRING": "string", "DATE": "date", "BOOLEAN": "boolean",
         "TIMESTAMP": "timestamp", "DOUBLE": "double", "FLOAT": "float", "SMALLINT": "short", "TINYINT": "byte", "BINARY": "binary"}


def unquote_ident(text):
    return text.strip().strip("`").replace("``", "`")


def unliteral(text):
    text = text.strip()
    assert text.startswith("'") and text.endswith("'"), text
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), text[1:-1])


def split_top(text):
    parts, depth, quote, current = [], 0, None, ""
    for ch in text:
        if quote:
            current += ch
            if ch == quote and not current.endswith("\\" + ch):
                quote = None
            continue
        if ch in "'`":
            quote = ch
        elif ch in "(<":
            depth += 1
        elif ch in ")>":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += ch
    if current.strip():
        parts.append(current)
    return parts


def column(definition):
    m = re.match(r"\s*(`(?:[^`]|``)+`)\s+(\S+(?:\(\d+,\s*\d+\))?)(.*)$", definition, re.S)
    name, type_text, rest = unquote_ident(m.group(1)), m.group(2), m.group(3)
    nullable = "NOT NULL" not in rest
    comment = re.search(r"COMMENT\s+('(?:[^'\\]|\\.)*')", rest)
    spark = TYPES.get(type_text.upper(), type_text.lower())
    field = {"name": name, "type": spark, "nullable": nullable, "metadata": {}}
    if comment:
        field["metadata"]["comment"] = unliteral(comment.group(1))
    mask = mask_of(rest)
    if mask:
        field["mask"] = mask
    return field


def props(text):
    result = {}
    for pair in split_top(text.strip()[1:-1]):
        key, value = pair.split("=", 1)
        result[unliteral(key)] = unliteral(value)
    return result

def full(text):
    return ".".join(unquote_ident(p) for p in re.findall(r"`(?:[^`]|``)+`", text))


def idents(text):
    return [unquote_ident(c) for c in split_top(text)] if text.strip() else []


def set_tags(entity, name, clause):
    """SET TAGS ('k' = 'v', ...) as Unity Catalog checks it: at most 50 tags per object."""
    current = tags.setdefault((entity, name), {})
    current.update(props(clause))
    if len(current) > 50:
        return "TAG_LIMIT_EXCEEDED: an object has at most 50 tags"
    return None


def unset_tags(entity, name, clause):
    for key in split_top(clause.strip()[1:-1]):
        tags.get((entity, name), {}).pop(unliteral(key), None)
    return None


def mask_of(text):
    m = re.search(r"MASK ((?:`(?:[^`]|``)+`\.?)+)(?: USING COLUMNS \(([^)]*)\))?", text)
    if not m:
        return None
    function = full(m.group(1))
    if function not in functions:
        return {"missing": function}
    return {"function_name": function, "using_column_names": idents(m.group(2) or "")}


def governance(sql):
    """Functions and tags on catalogs and schemas; None when the statement is not one of them."""
    m = re.match(r"CREATE OR REPLACE FUNCTION ((?:`(?:[^`]|``)+`\.?){3})\((.*?)\)\nRETURNS (.+?)(?:\nCOMMENT ('(?:[^'\\]|\\.)*'))?\nRETURN (.*)$", sql, re.S)
    if m:
        name = full(m.group(1))
        if ".".join(name.split(".")[:2]) not in schemas:
            return "SCHEMA_NOT_FOUND: " + ".".join(name.split(".")[:2])
        params = []
        for position, p in enumerate(split_top(m.group(2))):
            pm = re.match(r"\s*(`(?:[^`]|``)+`)\s+(.*)$", p, re.S)
            params.append({"name": unquote_ident(pm.group(1)), "type_text": pm.group(2).strip().lower(), "position": position})
        functions[name] = {"params": params, "returns": m.group(3).strip().lower(), "comment": unliteral(m.group(4)) if m.group(4) else None,
                           "body": m.group(5)}
        return ""
    m = re.match(r"DROP FUNCTION IF EXISTS ((?:`(?:[^`]|``)+`\.?){3})$", sql)
    if m:
        functions.pop(full(m.group(1)), None)
        return ""
    m = re.match(r"ALTER (CATALOG|SCHEMA) (\S+) (SET|UNSET) TAGS (\(.*\))$", sql, re.S)
    if m:
        entity, name = ("catalogs", full(m.group(2))) if m.group(1) == "CATALOG" else ("schemas", full(m.group(2)))
        if name not in (catalogs if entity == "catalogs" else schemas):
            return "NO_SUCH_" + m.group(1)
        return (set_tags if m.group(3) == "SET" else unset_tags)(entity, name, m.group(4)) or ""
    return None


def alter_governance(name, table, action):
    """ALTER TABLE ... for tags, masks and row filters; None when the action is not one of them."""
    m = re.match(r"(SET|UNSET) TAGS (\(.*\))$", action, re.S)
    if m:
        return (set_tags if m.group(1) == "SET" else unset_tags)("tables", name, m.group(2)) or ""
    m = re.match(r"SET ROW FILTER ((?:`(?:[^`]|``)+`\.?){3}) ON \(([^)]*)\)$", action)
    if m:
        if full(m.group(1)) not in functions:
            return "ROUTINE_NOT_FOUND: " + full(m.group(1))
        table["row_filter"] = {"function_name": full(m.group(1)), "input_column_names": idents(m.group(2))}
        return ""
    if action == "DROP ROW FILTER":
        table.pop("row_filter", None)
        return ""
    m = re.match(r"ALTER COLUMN (`(?:[^`]|``)+`) (SET|UNSET) TAGS (\(.*\))$", action, re.S)
    if m:
        column = unquote_ident(m.group(1))
        if not any(f["name"] == column for f in table["columns"]):
            return "UNRESOLVED_COLUMN: " + column
        return (set_tags if m.group(2) == "SET" else unset_tags)("columns", name + "." + column, m.group(3)) or ""
    m = re.match(r"ALTER COLUMN (`(?:[^`]|``)+`) (SET MASK .*|DROP MASK)$", action, re.S)
    if m:
        field = next((f for f in table["columns"] if f["name"] == unquote_ident(m.group(1))), None)
        if field is None:
            return "UNRESOLVED_COLUMN: " + unquote_ident(m.group(1))
        if m.group(2) == "DROP MASK":
            field.pop("mask", None)
            return ""
        mask = mask_of(m.group(2)[4:])
        if "missing" in mask:
            return "ROUTINE_NOT_FOUND: " + mask["missing"]
        field["mask"] = mask
        return ""
    return None


def run(sql):
    """Applies one DDL statement to the state; returns an error message or None."""
    sql = sql.strip()
    handled = governance(sql)
    if handled is not None:
        return handled or None
    m = re.match(r"CREATE CATALOG IF NOT EXISTS (`[^`]+`)(?: COMMENT ('.*'))?$", sql, re.S)
    if m:
        catalogs.setdefault(unquote_ident(m.group(1)), {"comment": unliteral(m.group(2)) if m.group(2) else None, "owner": "admins"})
        return None
    m = re.match(r"ALTER (CATALOG|SCHEMA) (\S+) OWNER TO (`[^`]+`)$", sql)
    if m:
        target = catalogs if m.group(1) == "CATALOG" else schemas
        target[".".join(unquote_ident(p) for p in m.group(2).split("`.`"))]["owner"] = unquote_ident(m.group(3))
        return None
    m = re.match(r"CREATE SCHEMA IF NOT EXISTS `([^`]+)`\.`([^`]+)`(?: COMMENT ('(?:[^'\\]|\\.)*'))?(?: WITH DBPROPERTIES (\(.*\)))?$", sql, re.S)
    if m:
        schemas.setdefault(f"{m.group(1)}.{m.group(2)}", {"comment": unliteral(m.group(3)) if m.group(3) else None,
                                                         "properties": props(m.group(4)) if m.group(4) else {}, "owner": None})
        return None
    m = re.match(r"CREATE (?:OR REPLACE TABLE|TABLE IF NOT EXISTS) `([^`]+)`\.`([^`]+)`\.`([^`]+)` \((.*)\n\) USING DELTA(.*)$", sql, re.S)
    if m:
        table_name = f"{m.group(1)}.{m.group(2)}.{m.group(3)}"
        rest = m.group(5)
        partitioned = re.search(r"PARTITIONED BY \(([^)]*)\)", rest)
        clustered = re.search(r"\nCLUSTER BY \(([^)]*)\)", rest)
        comment = re.search(r"\nCOMMENT ('(?:[^'\\]|\\.)*')", rest)
        tblprops = re.search(r"TBLPROPERTIES (\(.*\))", rest, re.S)
        columns = [column(c) for c in split_top(m.group(4))]
        for c in columns:
            if "missing" in c.get("mask", {}):
                return "ROUTINE_NOT_FOUND: " + c["mask"]["missing"]
        tables[table_name] = {"columns": columns,
                        "partitions": [unquote_ident(p) for p in partitioned.group(1).split(",")] if partitioned else [],
                        "comment": unliteral(comment.group(1)) if comment else None,
                        "properties": props(tblprops.group(1)) if tblprops else {}}
        row_filter = re.search(r"\nWITH ROW FILTER ((?:`(?:[^`]|``)+`\.?){3}) ON \(([^)]*)\)", rest)
        if row_filter:
            tables[table_name]["row_filter"] = {"function_name": full(row_filter.group(1)), "input_column_names": idents(row_filter.group(2))}
        if clustered:
            tables[table_name]["properties"]["clusteringColumns"] = json.dumps([[unquote_ident(c)] for c in clustered.group(1).split(",")])
        return None
    m = re.match(r"ALTER TABLE `([^`]+)`\.`([^`]+)`\.`([^`]+)` (.*)$", sql, re.S)
    if m:
        table = tables.get(f"{m.group(1)}.{m.group(2)}.{m.group(3)}")
        if table is None:
            return "TABLE_OR_VIEW_NOT_FOUND"
        action = m.group(4)
        handled = alter_governance(f"{m.group(1)}.{m.group(2)}.{m.group(3)}", table, action)
        if handled is not None:
            return handled or None
        if action.startswith("CLUSTER BY "):
            keys = action[len("CLUSTER BY "):]
            if keys == "NONE":
                table["properties"].pop("clusteringColumns", None)
            else:
                table["properties"]["clusteringColumns"] = json.dumps([[unquote_ident(c)] for c in keys.strip("()").split(",")])
        elif action.startswith("ADD COLUMNS ("):
            table["columns"] += [column(c) for c in split_top(action[len("ADD COLUMNS ("):-1])]
        elif action.startswith("RENAME COLUMN ") or action.startswith("DROP COLUMNS ("):
            # As Databricks: only a table with column mapping renames or drops a column in place.
            if table["properties"].get("delta.columnMapping.mode") not in ("name", "id"):
                return "DELTA_UNSUPPORTED_RENAME_COLUMN: enable column mapping (delta.columnMapping.mode = name) first"
            if action.startswith("RENAME COLUMN "):
                c = re.match(r"RENAME COLUMN (`[^`]+`) TO (`[^`]+`)$", action)
                field = next(f for f in table["columns"] if f["name"] == unquote_ident(c.group(1)))
                field["name"] = unquote_ident(c.group(2))
            else:
                gone = {unquote_ident(c) for c in split_top(action[len("DROP COLUMNS ("):-1])}
                table["columns"] = [f for f in table["columns"] if f["name"] not in gone]
        elif action.startswith("ADD CONSTRAINT "):
            c = re.match(r"ADD CONSTRAINT (`[^`]+`) CHECK \((.*)\)$", action, re.S)
            if "fail_here" in c.group(2):
                return "CHECK constraint violated by existing rows"
            table["properties"]["delta.constraints." + unquote_ident(c.group(1))] = c.group(2)
        elif action.startswith("DROP CONSTRAINT IF EXISTS "):
            table["properties"].pop("delta.constraints." + unquote_ident(action[len("DROP CONSTRAINT IF EXISTS "):]), None)
        elif action.startswith("SET TBLPROPERTIES "):
            table["properties"].update(props(action[len("SET TBLPROPERTIES "):]))
        elif action.startswith("UNSET TBLPROPERTIES IF EXISTS "):
            for key in props("(" + ", ".join(f"{k} = ''" for k in split_top(action[len("UNSET TBLPROPERTIES IF EXISTS "):].strip()[1:-1])) + ")"):
                table["properties"].pop(key, None)
        elif action.startswith("ALTER COLUMN "):
            c = re.match(r"ALTER COLUMN (`[^`]+`) (.*)$", action, re.S)
            field = next(f for f in table["columns"] if f["name"] == unquote_ident(c.group(1)))
            what = c.group(2)
            if what.startswith("COMMENT "):
                field["metadata"]["comment"] = unliteral(what[8:])
            elif what == "DROP NOT NULL":
                field["nullable"] = True
            elif what == "SET NOT NULL":
                field["nullable"] = False
            elif what.startswith("TYPE "):
                # As Databricks: a widening that changes storage needs type widening on.
                if field["type"] in ("byte", "short", "integer", "float") or str(field["type"]).startswith("decimal"):
                    if table["properties"].get("delta.enableTypeWidening") != "true":
                        return "DELTA_UNSUPPORTED_ALTER_TABLE_CHANGE_COL_OP: enable type widening (delta.enableTypeWidening = true) first"
                field["type"] = TYPES.get(what[5:], what[5:].lower())
        else:
            return "UNSUPPORTED_ALTER " + action[:40]
        return None
    m = re.match(r"COMMENT ON (CATALOG|SCHEMA) (\S+) IS (.*)$", sql, re.S)
    if m:
        target = catalogs if m.group(1) == "CATALOG" else schemas
        name = ".".join(unquote_ident(p) for p in m.group(2).split("`.`"))
        if name not in target:
            return "NO_SUCH_" + m.group(1)
        target[name]["comment"] = None if m.group(3) == "NULL" else unliteral(m.group(3))
        return None
    m = re.match(r"COMMENT ON TABLE `([^`]+)`\.`([^`]+)`\.`([^`]+)` IS (.*)$", sql, re.S)
    if m:
        tables[f"{m.group(1)}.{m.group(2)}.{m.group(3)}"]["comment"] = None if m.group(4) == "NULL" else unliteral(m.group(4))
        return None
    m = re.match(r"DROP TABLE IF EXISTS `([^`]+)`\.`([^`]+)`\.`([^`]+)`$", sql)
    if m:
        name = f"{m.group(1)}.{m.group(2)}.{m.group(3)}"
        tables.pop(name, None)
        for key in [k for k in tags if k[1] == name or k[1].startswith(name + ".")]:
            tags.pop(key)
        return None
    # As Databricks: RESTRICT refuses a schema that holds tables, a catalog that holds schemas.
    m = re.match(r"DROP SCHEMA IF EXISTS `([^`]+)`\.`([^`]+)` RESTRICT$", sql)
    if m:
        name = f"{m.group(1)}.{m.group(2)}"
        if any(t.startswith(name + ".") for t in tables):
            return f"SCHEMA_NOT_EMPTY: Cannot drop a schema `{name}` because it contains objects."
        schemas.pop(name, None)
        return None
    m = re.match(r"DROP CATALOG IF EXISTS `([^`]+)` RESTRICT$", sql)
    if m:
        if any(s.startswith(m.group(1) + ".") for s in schemas):
            return f"CATALOG_NOT_EMPTY: Cannot drop catalog `{m.group(1)}` because it contains schemas."
        catalogs.pop(m.group(1), None)
        return None
    return "PARSE_SYNTAX_ERROR: the fake does not know " + sql[:60]


class Handler(BaseHTTPRequestHandler):
    def reply(self, status, body=None, headers=None):
        data = json.dumps(body if body is not None else {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_request_line(self, body):
        with open(LOG, "a") as handle:
            handle.write(json.dumps({"method": self.command, "path": urlparse(self.path).path, "body": body,
                                     "inflight": getattr(self, "inflight", 1)}) + "\n")

    def handle_any(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length) if length else b""
        if self.command == "POST" and urlparse(self.path).path == "/oidc/v1/token":
            # OAuth machine-to-machine: client id "robot", secret "robot-secret".
            self.log_request_line({"form": raw.decode()})
            import base64
            if self.headers.get("Authorization") != "Basic " + base64.b64encode(b"robot:robot-secret").decode() or "grant_type=client_credentials" not in raw.decode():
                return self.reply(401, {"error": "invalid_client", "error_description": "Client authentication failed"})
            return self.reply(200, {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600, "scope": "all-apis"})
        body = json.loads(raw) if raw else None
        with inflight_lock:
            inflight["now"] += 1
            self.inflight = inflight["now"]
        try:
            return self.answer(body)
        finally:
            with inflight_lock:
                inflight["now"] -= 1

    def answer(self, body):
        self.log_request_line(body)
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self.reply(401, {"error_code": "UNAUTHENTICATED", "message": "Invalid access token."})
        url = urlparse(self.path)
        if url.path == "/api/2.1/unity-catalog/tables":
            # A list takes a moment, as a real one does: concurrent lists overlap.
            import time
            time.sleep(0.02)
        path, query = unquote(url.path), {k: v[0] for k, v in parse_qs(url.query).items()}
        with lock:
            if self.command == "GET" and path in ("/api/2.1/unity-catalog/schemas", "/api/2.1/unity-catalog/tables"):
                counter["lists"] += 1
                if counter["lists"] % 5 == 0:
                    return self.reply(429, {"error_code": "REQUEST_LIMIT_EXCEEDED", "message": "slow down"}, {"Retry-After": "0"})
                return self.list(path, query)
            if self.command == "GET" and path == "/api/2.1/unity-catalog/catalogs":
                # As Unity Catalog: every catalog the caller can see, one page.
                return self.reply(200, {"catalogs": [{"name": k, "comment": v["comment"], "owner": v["owner"]} for k, v in sorted(catalogs.items())]})
            m = re.match(r"^/api/2\.1/unity-catalog/catalogs/([^/]+)$", path)
            if self.command == "GET" and m:
                catalog = catalogs.get(m.group(1))
                if catalog is None:
                    return self.reply(404, {"error_code": "CATALOG_DOES_NOT_EXIST", "message": f"Catalog '{m.group(1)}' does not exist."})
                return self.reply(200, {"name": m.group(1), "comment": catalog["comment"], "owner": catalog["owner"]})
            handled = self.pipelines_and_jobs(path, query, body)
            if handled is None:
                handled = self.models(path, query, body)
            if handled is not None:
                return handled
            if self.command == "GET" and path == "/api/2.1/unity-catalog/functions":
                prefix = f"{query['catalog_name']}.{query['schema_name']}."
                items = [{"name": n.split(".")[2], "catalog_name": n.split(".")[0], "schema_name": n.split(".")[1], "full_name": n,
                          "input_params": {"parameters": [dict(p, type_name=p["type_text"].split("<")[0].split("(")[0].upper()) for p in f["params"]]},
                          "data_type": f["returns"].split("<")[0].split("(")[0].upper(), "full_data_type": f["returns"],
                          "routine_body": "SQL", "routine_definition": f["body"], "comment": f["comment"], "security_type": "DEFINER"}
                         for n, f in sorted(functions.items()) if n.startswith(prefix)]
                return self.page(items, "functions", query, "max_results")
            m = re.match(r"^/api/2\.1/unity-catalog/entity-tag-assignments/(catalogs|schemas|tables|columns)/([^/]+)/tags$", path)
            if self.command == "GET" and m:
                items = [{"entity_type": m.group(1), "entity_name": m.group(2), "tag_key": k, "tag_value": v}
                         for k, v in sorted(tags.get((m.group(1), m.group(2)), {}).items())]
                # As the API says: pages, and a page may be empty while a token follows.
                query = dict(query, max_results=query.get("max_results", "2"))
                return self.page(items, "tag_assignments", query, "max_results")
            m = re.match(r"^/api/2\.1/unity-catalog/permissions/([a-z]+)/(.+)$", path)
            if m and "forbidden" in m.group(2):
                return self.reply(403, {"error_code": "PERMISSION_DENIED", "message": f"User does not have MANAGE on {m.group(1)} '{m.group(2)}'."})
            if m:
                key = (m.group(1), m.group(2))
                if self.command == "PATCH":
                    if set(body) != {"changes"} or any(set(c) - {"principal", "add", "remove"} or "principal" not in c for c in body["changes"]):
                        return self.reply(400, {"error_code": "INVALID_PARAMETER_VALUE", "message": "bad changes"})
                    current = grants.setdefault(key, {})
                    for c in body["changes"]:
                        privileges = current.setdefault(c["principal"], set())
                        privileges |= set(c.get("add", []))
                        privileges -= set(c.get("remove", []))
                return self.reply(200, {"privilege_assignments": [{"principal": p, "privileges": sorted(v)} for p, v in sorted(grants.get(key, {}).items()) if v]})
            if self.command == "POST" and path == "/api/2.0/sql/statements":
                if not isinstance(body, dict) or set(body) - {"statement", "warehouse_id", "wait_timeout", "on_wait_timeout"} or "statement" not in body:
                    return self.reply(400, {"error_code": "INVALID_PARAMETER_VALUE", "message": "bad statement request"})
                if body.get("warehouse_id") != WAREHOUSE:
                    return self.reply(404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": f"Warehouse {body.get('warehouse_id')} does not exist."})
                sid = str(uuid.uuid4())
                statements[sid] = {"sql": body["statement"], "polls": 0}
                return self.reply(200, {"statement_id": sid, "status": {"state": "PENDING"}})
            m = re.match(r"^/api/2\.0/sql/statements/([0-9a-f-]+)$", path)
            if self.command == "GET" and m:
                s = statements[m.group(1)]
                s["polls"] += 1
                if s["polls"] == 1:
                    return self.reply(200, {"statement_id": m.group(1), "status": {"state": "RUNNING"}})
                if "result" not in s:
                    s["result"] = run(s["sql"])
                if s["result"]:
                    return self.reply(200, {"statement_id": m.group(1), "status": {"state": "FAILED", "sql_state": "42000",
                                                                                     "error": {"error_code": "BAD_REQUEST", "message": s["result"]}}})
                return self.reply(200, {"statement_id": m.group(1), "status": {"state": "SUCCEEDED"}})
        return self.reply(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": f"{self.command} {path}"})

    def page(self, items, key, query, size_key):
        size = min(int(query.get(size_key, "100")), PAGE)
        offset = int(query.get("page_token", "0"))
        body = {key: items[offset:offset + size]}
        if offset + size < len(items):
            body["next_page_token"] = str(offset + size)
            body["has_more"] = True
        return self.reply(200, body)

    def pipelines_and_jobs(self, path, query, body):
        if path == "/api/2.0/pipelines" and self.command == "GET":
            items = [{"pipeline_id": pid, "name": p["spec"]["name"], "state": "IDLE"} for pid, p in sorted(pipelines.items())]
            return self.page(items, "statuses", query, "max_results")
        if path == "/api/2.0/pipelines" and self.command == "POST":
            extra = set(body) - PIPELINE_FIELDS - {"allow_duplicate_names"}
            if extra or "name" not in body:
                return self.reply(400, {"error_code": "INVALID_PARAMETER_VALUE", "message": f"unknown fields {sorted(extra)}"})
            if not body.get("allow_duplicate_names", True) and any(p["spec"]["name"] == body["name"] for p in pipelines.values()):
                return self.reply(409, {"error_code": "RESOURCE_CONFLICT", "message": f"Pipeline with name '{body['name']}' already exists."})
            pid = str(uuid.uuid4())
            spec = {k: v for k, v in body.items() if k != "allow_duplicate_names"}
            pipelines[pid] = {"spec": dict(spec, id=pid), "last_modified": tick()}
            return self.reply(200, {"pipeline_id": pid})
        m = re.match(r"^/api/2\.0/pipelines/([0-9a-f-]+)$", path)
        if m:
            pid = m.group(1)
            if pid not in pipelines:
                return self.reply(404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": f"Pipeline {pid} does not exist."})
            p = pipelines[pid]
            if self.command == "GET":
                return self.reply(200, {"pipeline_id": pid, "name": p["spec"]["name"], "spec": p["spec"], "last_modified": p["last_modified"], "state": "IDLE"})
            if self.command == "DELETE":
                del pipelines[pid]
                return self.reply(200, {})
            if self.command == "PUT":
                extra = set(body) - PIPELINE_FIELDS - {"pipeline_id", "expected_last_modified"}
                if extra or body.get("pipeline_id") != pid:
                    return self.reply(400, {"error_code": "INVALID_PARAMETER_VALUE", "message": f"unknown fields {sorted(extra)}"})
                if "expected_last_modified" in body and body["expected_last_modified"] != p["last_modified"]:
                    return self.reply(409, {"error_code": "RESOURCE_CONFLICT", "message": f"The pipeline was modified at {p['last_modified']}, not {body['expected_last_modified']}."})
                p["spec"] = dict({k: v for k, v in body.items() if k in PIPELINE_FIELDS}, id=pid)
                p["last_modified"] = tick()
                return self.reply(200, {})
        if path == "/api/2.1/jobs/list" and self.command == "GET":
            wanted = query.get("name", "").lower()
            items = [{"job_id": jid, "settings": j} for jid, j in sorted(jobs.items()) if not wanted or j["name"].lower() == wanted]
            return self.page(items, "jobs", query, "limit")
        if path in ("/api/2.1/jobs/create", "/api/2.1/jobs/reset", "/api/2.1/jobs/delete") and self.command == "POST":
            if path.endswith("/create"):
                settings = body
            elif path.endswith("/reset"):
                if set(body) != {"job_id", "new_settings"} or body["job_id"] not in jobs:
                    return self.reply(400, {"error_code": "INVALID_PARAMETER_VALUE", "message": "reset needs job_id and new_settings"})
                settings = body["new_settings"]
            else:
                if jobs.pop(body.get("job_id"), None) is None:
                    return self.reply(400, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": f"Job {body.get('job_id')} does not exist."})
                return self.reply(200, {})
            extra = set(settings) - JOB_FIELDS
            quartz = settings.get("schedule", {}).get("quartz_cron_expression", "")
            if extra or len(quartz.split()) not in (6, 7) or "?" not in quartz:
                return self.reply(400, {"error_code": "INVALID_PARAMETER_VALUE", "message": f"bad job settings {sorted(extra)} {quartz!r}"})
            if path.endswith("/create"):
                counter["job"] += 1
                jobs[counter["job"]] = settings
                return self.reply(200, {"job_id": counter["job"]})
            jobs[body["job_id"]] = settings
            return self.reply(200, {})
        return None

    def models(self, path, query, body):
        if path == "/api/2.1/unity-catalog/models" and self.command == "POST":
            if set(body) - {"catalog_name", "schema_name", "name", "comment"}:
                return self.reply(400, {"error_code": "INVALID_PARAMETER_VALUE", "message": "bad model"})
            full = f"{body['catalog_name']}.{body['schema_name']}.{body['name']}"
            if f"{body['catalog_name']}.{body['schema_name']}" not in schemas:
                return self.reply(404, {"error_code": "SCHEMA_DOES_NOT_EXIST", "message": f"Schema '{body['catalog_name']}.{body['schema_name']}' does not exist."})
            models[full] = {"comment": body.get("comment"), "aliases": {}}
            return self.reply(200, {"full_name": full})
        m = re.match(r"^/api/2\.1/unity-catalog/models/([^/]+)(/versions(?:/(\d+))?|/aliases/([^/]+))?$", path)
        if not m:
            return None
        full = m.group(1)
        if full not in models:
            return self.reply(404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": f"Registered model '{full}' does not exist."})
        model = models[full]
        versions = registered.get(full, {})
        if m.group(2) is None:
            if self.command == "GET":
                info = {"full_name": full, "name": full.split(".")[2], "comment": model["comment"]}
                if query.get("include_aliases") == "true":
                    info["aliases"] = [{"alias_name": a, "version_num": v} for a, v in sorted(model["aliases"].items())]
                return self.reply(200, info)
            if self.command == "PATCH":
                model["comment"] = body.get("comment")
                return self.reply(200, {"full_name": full})
            if self.command == "DELETE":
                del models[full]
                return self.reply(200, {})
        if m.group(2) == "/versions" and self.command == "GET":
            items = [{"model_name": full.split(".")[2], "catalog_name": full.split(".")[0], "schema_name": full.split(".")[1], "version": n,
                      "source": v["source"], "run_id": v["run_id"], "comment": v.get("comment"), "status": "READY"} for n, v in sorted(versions.items())]
            return self.page(items, "model_versions", query, "max_results")
        if m.group(3) and self.command == "PATCH":
            version = versions.get(int(m.group(3)))
            if version is None:
                return self.reply(404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": f"Model version {m.group(3)} does not exist."})
            version["comment"] = body.get("comment")
            return self.reply(200, {})
        if m.group(4):
            alias = m.group(4)
            if self.command == "PUT":
                if int(body.get("version_num", -1)) not in versions:
                    return self.reply(404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": f"Model version {body.get('version_num')} does not exist."})
                model["aliases"][alias] = int(body["version_num"])
                return self.reply(200, {"alias_name": alias, "version_num": int(body["version_num"])})
            if self.command == "DELETE":
                model["aliases"].pop(alias, None)
                return self.reply(200, {})
        return self.reply(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": f"{self.command} {path}"})

    def list(self, path, query):
        offset = int(query.get("page_token", "0"))
        if path.endswith("/schemas"):
            catalog = query["catalog_name"]
            items = [{"name": "information_schema", "catalog_name": catalog}] + [
                {"name": k.split(".")[1], "catalog_name": catalog, "comment": v["comment"], "owner": v["owner"], "properties": v["properties"]}
                for k, v in sorted(schemas.items()) if k.split(".")[0] == catalog]
            key = "schemas"
        else:
            prefix = f"{query['catalog_name']}.{query['schema_name']}."
            items = []
            for name, t in sorted(tables.items()):
                if not name.startswith(prefix):
                    continue
                columns = []
                for position, f in enumerate(t["columns"]):
                    entry = {"name": f["name"], "type_text": f["type"], "type_json": json.dumps({k: v for k, v in f.items() if k != "mask"}),
                             "nullable": f["nullable"], "position": position}
                    if "mask" in f:
                        entry["mask"] = f["mask"]
                    if "comment" in f["metadata"]:
                        entry["comment"] = f["metadata"]["comment"]
                    if f["name"] in t["partitions"]:
                        entry["partition_index"] = t["partitions"].index(f["name"])
                    columns.append(entry)
                properties = dict(t["properties"], **{"delta.minReaderVersion": "1", "delta.minWriterVersion": "3"})
                items.append({"name": name.split(".")[2], "catalog_name": query["catalog_name"], "schema_name": query["schema_name"],
                              "table_type": "MANAGED", "data_source_format": "DELTA", "columns": columns, "properties": properties,
                              "comment": t["comment"], **({"row_filter": t["row_filter"]} if "row_filter" in t else {})})
            key = "tables"
        page = items[offset:offset + PAGE]
        body = {key: page}
        if offset + PAGE < len(items):
            body["next_page_token"] = str(offset + PAGE)
        return self.reply(200, body)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = handle_any

    def log_message(self, *args):
        pass


if len(sys.argv) > 6:
    with open(sys.argv[6]) as handle:
        seed = json.load(handle)
    for name in seed.get("catalogs", []):
        catalogs[name] = {"comment": None, "owner": "admins"}
    for name in seed.get("schemas", []):
        schemas[name] = {"comment": None, "properties": {}, "owner": None}
    for name, columns in seed.get("tables", {}).items():
        tables[name] = {"columns": [{"name": c, "type": t, "nullable": True, "metadata": {}} for c, t in columns],
                        "partitions": [], "comment": None, "properties": {}}
    for name, versions in seed.get("model_versions", {}).items():
        registered[name] = {int(n): {"source": source, "run_id": run} for n, source, run in versions}
        models[name] = {"comment": None, "aliases": {}}

ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
