import Model

/// The JSON Schema of manifests and environment files, for editors (the YAML
/// language server) and CI. It mirrors the decoders: the same fields, the same
/// required ones, no others. A value that is exactly `${var.NAME}` is accepted
/// wherever a boolean or number is, since it is typed when rendered.
public enum ManifestSchema {
    public static let id = "https://reconcile.dev/schema/v1/manifest.json"

    /// The name rules the decoder enforces, in words (also in docs/manifests.md).
    static let nameRules = "Catalog, Schema, Table, Model: the full name (catalog, catalog.schema, catalog.schema.name), each part: \(Identifier.rule.dropFirst(4)); a Model routed to an mlflow target takes MLflow's name instead (\(ManifestDecoder.mlflowNameRule)). Pipeline, Grants, FeatureFlag: \(Identifier.slugRule.dropFirst(4)). ${var.NAME} is rendered first."

    public static var document: Value {
        let kinds = ResourceKind.allCases.map(\.rawValue) + ["Environment"]
        var definitions: [String: Value] = [
            "reference": .object(["type": "string", "pattern": .string(#"^\$\{var\.[A-Za-z0-9_.-]+\}$"#)]),
            "stringMap": .object(["type": "object", "additionalProperties": scalarText]),
            "metadata": object(required: ["name"], [
                "name": .object(["type": "string", "minLength": 1, "maxLength": 767, "description": .string(Self.nameRules)]),
                "labels": ref("stringMap"),
                "annotations": object([
                    Resource.protectAnnotation: .object(["enum": ["true", "false"], "description": "Never delete or replace; remembered once applied."]),
                    Resource.ignoreAnnotation: .object([
                        "description": "JSON pointers of fields whose differences are neither planned nor drift.",
                        "anyOf": [.object(["type": "string"]), .object(["type": "array", "items": .object(["type": "string", "pattern": "^/"])])],
                    ]),
                ], additional: scalarText),
            ]),
        ]
        definitions["CatalogSpec"] = namespace
        definitions["SchemaSpec"] = namespace
        definitions["TableSpec"] = table
        definitions["PipelineSpec"] = pipeline
        definitions["GrantsSpec"] = grants
        definitions["FeatureFlagSpec"] = flag
        definitions["ModelSpec"] = model
        definitions["FunctionSpec"] = function
        definitions["EnvironmentSpec"] = environment
        return .object([
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": .string(id),
            "title": "reconcile manifest (reconcile/v1)",
            "type": "object",
            "required": ["apiVersion", "kind", "metadata"],
            "additionalProperties": false,
            "properties": .object([
                "apiVersion": .object(["const": .string(ManifestDecoder.apiVersion)]),
                "kind": .object(["enum": .array(kinds.map(Value.string))]),
                "metadata": ref("metadata"),
                "spec": .object(["type": "object"]),
            ]),
            "allOf": .array(kinds.map { kind in
                .object([
                    "if": .object(["properties": .object(["kind": .object(["const": .string(kind)])]), "required": ["kind"]]),
                    "then": .object([
                        "properties": .object(["spec": ref("\(kind)Spec")]),
                        "required": ["Catalog", "Schema"].contains(kind) ? .array([]) : ["spec"],
                    ]),
                ])
            }),
            "$defs": .object(definitions),
        ])
    }

    // MARK: Kinds

    static var namespace: Value {
        object(["comment": string(), "owner": string(), "properties": ref("stringMap"), "tags": tags])
    }

    static var table: Value {
        object(required: ["columns"], [
            "comment": string(),
            "columns": .object(["type": "array", "minItems": 1, "items": object(required: ["name", "type"], [
                "name": .object(["type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"]),
                "type": string("A Spark SQL type: bigint, decimal(18,2), array<string>, map<string,int>, struct<a:int,b:string>…"),
                "nullable": boolean,
                "comment": string(),
                "renamedFrom": .object(["type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
                                        "description": "The column's previous name: the rename keeps its data (Delta column mapping)."]),
                "tags": tags,
                "mask": object(required: ["function"], [
                    "function": string("The masking function's full name (a declared Function): the column is read through it."),
                    "using": .object(["type": "array", "items": string("Another column passed to the function after this one.")]),
                ]),
            ])]),
            "partitionedBy": strings,
            "clusterBy": .object(["type": "array", "maxItems": 4, "items": string("A column to cluster by (liquid clustering); not with partitionedBy.")]),
            "properties": ref("stringMap"),
            "constraints": .object(["type": "object", "description": "CHECK constraints: name → SQL expression.", "additionalProperties": string()]),
            "location": string(),
            "tags": tags,
            "rowFilter": object(required: ["function"], [
                "function": string("The filtering function's full name (a declared Function returning boolean)."),
                "on": .object(["type": "array", "items": string("A column passed to the function.")]),
            ]),
        ])
    }

    static var function: Value {
        object(required: ["returns", "body"], [
            "parameters": .object(["type": "array", "items": object(required: ["name", "type"], [
                "name": .object(["type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"]),
                "type": string("A Spark SQL type."),
            ])]),
            "returns": string("The Spark SQL type it returns."),
            "body": string("The SQL expression after RETURN."),
            "comment": string(),
        ])
    }

    /// Unity Catalog tags: declared, they are the whole set (an empty map removes all).
    static var tags: Value {
        .object(["type": "object", "maxProperties": .int(TagRules.maxTags),
                 "description": "Unity Catalog tags: at most 50; keys of 1 to 255 characters without . , - = / : ; values of at most 1,000. Declared, they are the whole set; absent, tags are left alone.",
                 "propertyNames": .object(["pattern": "^[^.,\\-=/:\\s]([^.,\\-=/:]{0,253}[^.,\\-=/:\\s])?$"]),
                 "additionalProperties": .object(["type": "string", "maxLength": 1000])])
    }

    static var pipeline: Value {
        object(required: ["catalog", "target", "libraries"], [
            "catalog": string(), "target": string("The schema the pipeline publishes to."),
            "libraries": .object(["type": "array", "items": string("A SQL or Python file, relative to the repository root.")]),
            "configuration": ref("stringMap"),
            "continuous": boolean, "development": boolean,
            "schedule": object(required: ["cron"], ["cron": string("5-field cron or 6/7-field Quartz cron."), "timezone": string("An IANA time zone.")]),
            "produces": strings, "consumes": strings,
        ])
    }

    static var grants: Value {
        object(required: ["securable", "grants"], [
            "securable": object(required: ["type", "name"], [
                "type": .object(["enum": .array(Securable.Kind.allCases.map { .string($0.rawValue) })]),
                "name": string(),
            ]),
            "grants": .object(["type": "array", "items": object(required: ["principal", "privileges"], [
                "principal": string(),
                "privileges": .object(["type": "array", "uniqueItems": true, "items": .object([
                    "enum": .array(Set(Securable.Kind.allCases.flatMap(\.privileges)).sorted().map(Value.string)),
                ])]),
            ])]),
            "exclusive": boolean,
        ])
    }

    static var flag: Value {
        object(required: ["variants", "defaultVariant"], [
            "state": .object(["enum": ["ENABLED", "DISABLED"]]),
            "variants": .object(["type": "object", "minProperties": 1]),
            "defaultVariant": string(),
            "targeting": .object(["type": "object", "description": "JsonLogic returning a variant name; flagd's fractional, starts_with, ends_with and sem_ver included."]),
            "metadata": .object(["type": "object"]),
        ])
    }

    static var model: Value {
        object([
            "description": string(),
            "tags": ref("stringMap"),
            "versions": .object(["type": "array", "items": object(required: ["version", "source"], [
                "version": .object(["anyOf": [.object(["type": "integer", "minimum": 1]), ref("reference")]]),
                "source": .object(["type": "string", "pattern": "^[A-Za-z][A-Za-z0-9+.-]*:.+"]),
                "runId": string(), "description": string(), "tags": ref("stringMap"),
            ])]),
            "aliases": .object(["type": "object", "additionalProperties": .object(["anyOf": [.object(["type": "integer", "minimum": 1]), ref("reference")]])]),
        ])
    }

    static var environment: Value {
        object([
            "target": targetSchema,
            "targets": object(Dictionary(uniqueKeysWithValues: Environment.routingKeys.map { ($0, targetSchema) })),
            "state": object(["path": string("The state store when no target is local."),
                             "postgres": reference("The state store in PostgreSQL: a reference to its URL, postgres://user:password@host:5432/database.")]),
            "variables": ref("stringMap"),
            "policy": object([
                "destructive": .object(["enum": ["allow", "deny"]]),
                "prune": boolean, "allowWorktree": boolean, "autoSync": boolean, "confirm": boolean,
                "requireSignedCommits": object([
                    "allowedSigners": string("An SSH allowed-signers file (ssh-keygen -Y verify's format), outside the repository."),
                    "gpgKeyring": string("A GPG keyring (gpg --export), outside the repository."),
                ]),
                "drift": .object(["enum": ["report", "heal"]]),
            ]),
            "notifications": .object(["type": "array", "items": object(required: ["url"], ["url": string("A webhook: https://, or http:// on loopback.")])]),
            "windows": .object(["type": "array", "items": object(required: ["kind", "schedule", "duration"], [
                "kind": .object(["enum": ["allow", "deny"]]),
                "schedule": string("When each window starts: 5 cron fields (minute hour day-of-month month day-of-week)."),
                "duration": string("How long each window lasts: 30m, 2h, 1d12h."),
                "timezone": string("The IANA time zone the schedule is read in (default UTC)."),
            ])]),
            "audit": object(required: ["webhook"], ["webhook": string("Each audit entry is also POSTed here as it is written: https://, or http:// on loopback.")]),
            "source": object(["branch": string("Follow the tip of this branch."), "revision": string("Pinned commit; promote and rollback move it.")]),
            "promotion": object(required: ["from"], [
                "from": string("The environment revisions come from."),
                "soak": string("How long the source must have run its revision: 30m, 1h, 1h30m."),
                "requires": .object(["type": "array", "items": .object(["enum": ["applied", "no-drift"]])]),
            ]),
            "overlays": .object(["type": "array", "items": object(required: ["select", "patch"], [
                "select": object([
                    "kind": .object(["enum": .array(ResourceKind.allCases.map { .string($0.rawValue) })]),
                    "name": string("A glob over the full name: * any characters, ? one."),
                    "labels": ref("stringMap"),
                    "tags": .object(["type": "object", "description": "Tags on the resource or one of its columns (key: value), all required.", "additionalProperties": scalarText]),
                ]),
                "patch": object([
                    "metadata": object(["labels": ref("stringMap"), "annotations": ref("stringMap")]),
                    "spec": .object(["type": "object", "description": "Merged into the manifest's spec (JSON merge patch: null removes a field)."]),
                ]),
            ])]),
        ])
    }

    static var targetSchema: Value {
        .object(["oneOf": [
            object(required: ["type", "path"], ["type": .object(["const": "local"]), "path": string()]),
            object(required: ["type", "url"], ["type": .object(["const": "mlflow"]), "url": .object(["type": "string", "pattern": "^(https://|http://(127\\.0\\.0\\.1|localhost|\\[::1\\]))"])]),
            object(required: ["type", "host", "warehouse", "auth"], [
                "type": .object(["const": "databricks"]),
                "host": .object(["type": "string", "pattern": "^(https://|http://(127\\.0\\.0\\.1|localhost|\\[::1\\]))"]),
                "warehouse": string("The SQL warehouse id DDL runs on."),
                "files": .object(["type": "string", "pattern": "^/(Workspace|Repos|Users)/", "description": "The workspace folder holding this repository (pipeline libraries)."]),
                "auth": object([
                    "token": reference("A personal access token."),
                    "clientId": reference("OAuth machine-to-machine client id."),
                    "clientSecret": reference("OAuth machine-to-machine client secret."),
                ]),
            ]),
        ]])
    }

    /// A secret reference: `${env:NAME}` or `${file:PATH}`, never the secret itself.
    static func reference(_ description: String) -> Value {
        .object(["type": "string", "pattern": "^\\$\\{(env|file):.+\\}$", "description": .string(description)])
    }

    // MARK: Building blocks

    static var scalarText: Value { .object(["type": .array(["string", "number", "boolean"])]) }
    static var boolean: Value { .object(["anyOf": [.object(["type": "boolean"]), ref("reference")]]) }
    static var strings: Value { .object(["type": "array", "items": string()]) }

    static func string(_ description: String? = nil) -> Value {
        var fields: [String: Value] = ["type": "string"]
        if let description { fields["description"] = .string(description) }
        return .object(fields)
    }

    static func ref(_ name: String) -> Value { .object(["$ref": .string("#/$defs/\(name)")]) }

    static func object(required: [String] = [], _ properties: [String: Value], additional: Value = .bool(false)) -> Value {
        var fields: [String: Value] = ["type": "object", "properties": .object(properties), "additionalProperties": additional]
        if !required.isEmpty { fields["required"] = .array(required.map(Value.string)) }
        return .object(fields)
    }
}

