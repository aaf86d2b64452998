import Flags
import Foundation
import LocalTarget
import Loading
import Parquet
import Model
import Server

/// What the fuzzers (`scripts/fuzz`, libFuzzer) and the corpus regression test feed
/// untrusted bytes to. Each entry returns normally for any input: a crash, a hang or
/// unbounded memory is the bug they look for; errors are fine.
public enum FuzzTargets {
    /// The entry points by name, as `scripts/fuzz` and `Tests/Fuzz/corpus/<name>/` call them.
    public static let all: [String: @Sendable ([UInt8]) -> Void] = [
        "manifest": manifest, "type": columnType, "jsonlogic": jsonLogic, "ofrep": ofrep, "parquet": parquet, "check": check,
        "deltalog": deltaLog,
    ]

    /// A Delta commit file from outside: its actions and the schema they carry.
    @Sendable public static func deltaLog(_ bytes: [UInt8]) { DeltaLogFuzzing.replay(bytes) }

    /// A Parquet file (a checkpoint another engine wrote, a data file a check reads): footer, pages, assembly.
    @Sendable public static func parquet(_ bytes: [UInt8]) {
        guard let file = try? ParquetFile(bytes: bytes) else { return }
        _ = try? file.rows()
    }

    /// A CHECK constraint's expression, parsed and evaluated against a row.
    @Sendable public static func check(_ bytes: [UInt8]) {
        guard let text = String(validating: bytes, as: UTF8.self) else { return }
        _ = CheckConstraint.evaluate(text, row: ["amount": 5, "status": "open", "note": .null, "day": "2024-03-01"])
    }

    static let environment = """
        apiVersion: reconcile/v1
        kind: Environment
        metadata: { name: dev }
        spec:
          target: { type: local, path: .lakehouse/dev }
          variables: { catalog: main, rollout: "30" }
        """

    /// YAML → manifests: parsing, decoding, interpolation, overlays, validation.
    @Sendable public static func manifest(_ bytes: [UInt8]) {
        let source = SourceSet(revision: "fuzz", shortRevision: "fuzz", files: [
            SourceFile(path: "environments/dev.yaml", bytes: Array(environment.utf8)),
            SourceFile(path: "manifests/fuzz.yaml", bytes: bytes),
        ])
        let loaded = Loader.load(source)
        guard let environment = try? Loader.environment("dev", in: loaded) else { return }
        _ = Loader.render(loaded, for: environment)
    }

    /// Spark SQL type syntax.
    @Sendable public static func columnType(_ bytes: [UInt8]) {
        guard let text = String(validating: bytes, as: UTF8.self) else { return }
        _ = try? DataType.parse(text)
    }

    /// A flag document (flagd's JSON) evaluated for every key with a fixed context.
    @Sendable public static func jsonLogic(_ bytes: [UInt8]) {
        guard case .object(let document)? = try? JSONDecoder().decode(Value.self, from: Data(bytes)) else { return }
        let evaluator = FlagEvaluator(document: document)
        let context: [String: Value] = ["targetingKey": "user-1", "email": "a@example.com", "age": 42, "tags": ["x", "y"]]
        if case .object(let flags)? = document["flags"] {
            for key in flags.keys.sorted().prefix(50) { _ = evaluator.evaluate(key, context: context) }
        }
    }

    static let flags = FlagEvaluator(document: [
        "flags": .object([
            "rollout": .object(["state": "ENABLED", "variants": .object(["on": true, "off": false]), "defaultVariant": "off",
                                "targeting": .object(["fractional": .array([.array(["on", 30]), .array(["off", 70])])])]),
            "tier": .object(["state": "ENABLED", "variants": .object(["gold": "gold", "basic": "basic"]), "defaultVariant": "basic",
                             "targeting": .object(["if": .array([.object(["ends_with": .array([.object(["var": "email"]), "@example.com"])]), "gold", "basic"])])]),
            // Numbers from the request reach text and positions: cat, substr.
            "echo": .object(["state": "ENABLED", "variants": .object(["one": "one", "other": "other"]), "defaultVariant": "other",
                             "targeting": .object(["if": .array([.object(["==": .array([.object(["substr": .array([.object(["cat": .array([.object(["var": "n"])])]), .object(["var": "n"]), .object(["var": "n"])])]), "1"])]), "one", "other"])])]),
        ]),
    ])

    /// An OFREP request body: its context decoded, then evaluated against two flags.
    @Sendable public static func ofrep(_ bytes: [UInt8]) {
        guard let context = OFREPService.context(bytes) else { return }
        _ = flags.evaluate("rollout", context: context)
        _ = flags.evaluate("tier", context: context)
        _ = flags.evaluate("echo", context: context)
    }
}
