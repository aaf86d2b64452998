import Foundation
import Testing
import Model
import TestSupport
@testable import Flags

@Suite struct HashingTests {
    @Test func murmur3MatchesTheReference() {
        #expect(Murmur3.hash32([]) == 0)
        #expect(Murmur3.hash32(Array("hello".utf8)) == 613_153_351)
        #expect(Murmur3.hash32(Array("The quick brown fox jumps over the lazy dog".utf8)) == 776_992_547)
    }

    @Test func canonicalCBORMatchesCbor2() {
        func hex(_ value: Value) -> String { CBOR.encode(value).map { String(format: "%02x", $0) }.joined() }
        #expect(hex(.array(["new-checkout", "user-1"])) == "826c6e65772d636865636b6f757466757365722d31")
        #expect(hex(.double(0.5)) == "f93800")
        #expect(hex(.double(1.1)) == "fb3ff199999999999a")
        #expect(hex(.double(2.0)) == "02", "whole numbers are integers, as flagd normalizes them")
        #expect(hex(.object(["b": 1, "a": .array([true, .null, -3])])) == "a2616183f5f622616201")
    }
}

@Suite struct FlagEvaluatorTests {
    static let document = """
    {"flags": {
      "rollout": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
                  "targeting": {"fractional": [["on", 25], ["off", 75]]}},
      "by-email": {"state": "ENABLED", "variants": {"a": "A", "b": "B", "c": "C"}, "defaultVariant": "a",
                   "targeting": {"fractional": [{"cat": [{"var": "$flagd.flagKey"}, {"var": "email"}]}, ["a", 1], ["b", 1], ["c", 2]]}},
      "theme": {"state": "ENABLED", "variants": {"dark": "dark", "light": "light"}, "defaultVariant": "light",
                "targeting": {"if": [{"ends_with": [{"var": "email"}, "@example.com"]}, "dark", null]}},
      "app-version": {"state": "ENABLED", "variants": {"new": 2, "old": 1}, "defaultVariant": "old",
                      "targeting": {"if": [{"sem_ver": [{"var": "version"}, ">=", "2.1.0"]}, "new", "old"]}},
      "off": {"state": "DISABLED", "variants": {"x": 1}, "defaultVariant": "x"},
      "static": {"state": "ENABLED", "variants": {"one": {"a": 1}}, "defaultVariant": "one", "metadata": {"team": "core"}}
    }}
    """

    var evaluator: FlagEvaluator {
        let document = try! JSONDecoder().decode([String: Value].self, from: Data(Self.document.utf8))
        return FlagEvaluator(document: document)
    }

    @Test func reasonsAndValues() {
        let evaluator = evaluator
        #expect(evaluator.evaluate("static", context: [:]) == FlagEvaluation(key: "static", value: .object(["a": 1]), variant: "one", reason: "STATIC", metadata: ["team": "core"]))
        #expect(evaluator.evaluate("off", context: [:]).reason == "DISABLED")
        #expect(evaluator.evaluate("off", context: [:]).value == nil)
        #expect(evaluator.evaluate("theme", context: ["email": "a@example.com"]).variant == "dark")
        let fallback = evaluator.evaluate("theme", context: ["email": "a@other.org"])
        #expect(fallback.variant == "light" && fallback.reason == "DEFAULT")
        #expect(evaluator.evaluate("app-version", context: ["version": "2.1.3"]).value == .int(2))
        #expect(evaluator.evaluate("app-version", context: ["version": "2.1.0-rc.1"]).value == .int(1))
        #expect(evaluator.evaluate("nope", context: [:]).errorCode == "FLAG_NOT_FOUND")
        #expect(evaluator.evaluate("rollout", context: [:]).variant == "off", "no targeting key: fractional yields null, so the default")
    }

    @Test func weightsThatWouldOverflowFallBackToTheDefault() {
        let rule: Value = .object(["fractional": .array([.array([.string("on"), .int(Int.max)]), .array([.string("off"), .int(Int.max)])])])
        let flag: Value = .object(["state": .string("ENABLED"), "variants": .object(["on": .bool(true), "off": .bool(false)]),
                                   "defaultVariant": .string("off"), "targeting": rule])
        let document: [String: Value] = ["flags": .object(["huge": flag])]
        let evaluation = FlagEvaluator(document: document).evaluate("huge", context: ["targetingKey": "user-1"])
        #expect(evaluation.variant == "off" && evaluation.reason == "DEFAULT", "no trap: out-of-range weights make fractional null")
    }

    /// The flagd provider, in process, on the same file and contexts, must agree.
    @Test func agreesWithTheFlagdProvider() throws {
        let dir = try TemporaryDirectory()
        try dir.write("flags.json", Self.document)
        var requests: [[String: Any]] = []
        var contexts: [(String, [String: Value])] = []
        for index in 0..<300 {
            let email = "user\(index)@\(index % 3 == 0 ? "example.com" : "corp.io")"
            let context: [String: Value] = ["targetingKey": .string("user-\(index)"), "email": .string(email), "version": .string("2.\(index % 4).0")]
            for (flag, type, fallback) in [("rollout", "boolean", false as Any), ("by-email", "string", "z"), ("theme", "string", "z"), ("app-version", "integer", 0)] {
                requests.append(["flag": flag, "type": type, "default": fallback, "targetingKey": "user-\(index)",
                                 "attributes": ["email": email, "version": "2.\(index % 4).0"]])
                contexts.append((flag, context))
            }
        }
        try JSONSerialization.data(withJSONObject: requests).write(to: dir.url.appendingPathComponent("requests.json"))
        let result = try Shell.run(Paths.python, [Paths.flagdEval, dir.url.appendingPathComponent("flags.json").path, dir.url.appendingPathComponent("requests.json").path])
        #expect(result.code == 0, "\(result.output)")
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(expected.count == contexts.count)
        let evaluator = evaluator
        var mismatches: [String] = []
        for ((flag, context), reference) in zip(contexts, expected) {
            let ours = evaluator.evaluate(flag, context: context)
            if ours.variant != reference["variant"] as? String || ours.reason != reference["reason"] as? String {
                mismatches.append("\(flag) \(context["targetingKey"]!): ours \(ours.variant ?? "nil")/\(ours.reason), flagd \(reference["variant"] ?? "nil")/\(reference["reason"] ?? "")")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
        let share = expected.enumerated().filter { $0.offset % 4 == 0 && $0.element["variant"] as? String == "on" }.count
        #expect((45...105).contains(share), "about 25% of 300: \(share)")
    }
}

/// Numbers a request's context carries never trap an evaluation (#17, found by the fuzz corpus).
@Suite struct HostileContextTests {
    @Test func hugeAndNonFiniteNumbersInTextAndPositionsEvaluate() {
        let evaluator = FlagEvaluator(flags: ["echo": FlagSpec(variants: ["one": "one", "other": "other"], defaultVariant: "other",
            targeting: .object(["if": .array([.object(["==": .array([.object(["substr": .array([.object(["cat": .array([.object(["var": "n"])])]),
                .object(["var": "n"]), .object(["var": "n"])])]), "1"])]), "one", "other"])]))])
        for n: Value in [.double(1e300), .double(-1e300), .double(.infinity), .double(.nan), .int(.max), .int(.min)] {
            let result = evaluator.evaluate("echo", context: ["n": n])
            #expect(result.value == "other", "\(n)")
        }
        #expect(JsonLogic.text(.double(1e300)) == "1e+300")
    }
}

/// Every evaluation is bounded (#17): a flag file on disk is not read through the
/// manifest's YAML limits, and a request's context is whatever a client sends.
@Suite struct EvaluationLimitTests {
    static func evaluator(targeting: Value) -> FlagEvaluator {
        FlagEvaluator(document: ["flags": .object(["f": .object([
            "state": "ENABLED", "variants": .object(["on": true, "off": false]), "defaultVariant": "off", "targeting": targeting,
        ])])])
    }

    @Test func aRuleNestedPastTheLimitIsAnErrorNotACrash() throws {
        // 400 nested `!`, as JSON allows (its decoder stops at 512) and a hand-edited file could hold.
        var rule: Value = .object(["var": "x"])
        for _ in 0..<400 { rule = .object(["!": .array([rule])]) }
        let result = Self.evaluator(targeting: .object(["if": .array([rule, "on", "off"])])).evaluate("f", context: ["x": true])
        #expect(result.reason == "ERROR")
        #expect(result.errorCode == "GENERAL")
        #expect(result.errorDetails?.contains("nests more than \(JsonLogic.maxDepth) levels") == true, "\(result)")
    }

    @Test func aRuleJustWithinTheLimitEvaluates() throws {
        var rule: Value = .object(["var": "x"])
        for _ in 0..<40 { rule = .object(["!": .array([.object(["!": .array([rule])])])]) }
        let result = Self.evaluator(targeting: .object(["if": .array([rule, "on", "off"])])).evaluate("f", context: ["x": true])
        #expect(result.errorCode == nil)
        #expect(result.variant == "on")
    }

    @Test func reduceCannotBuildAValueTooDeepToFree() {
        // Each item wraps the accumulator in one more array: 5,000 items from the request.
        let wrap: Value = .object(["reduce": .array([.object(["var": "items"]), .array([.object(["var": "accumulator"])]), .array([])])])
        let rule: Value = .object(["if": .array([.object(["==": .array([wrap, .array([])])]), "on", "off"])])
        let items = Value.array(Array(repeating: 1, count: 5_000))
        let result = Self.evaluator(targeting: rule).evaluate("f", context: ["items": items])
        #expect(result.errorCode == "GENERAL")
        #expect(result.errorDetails?.contains("nested more than \(JsonLogic.maxValueDepth) levels") == true, "\(result)")
    }

    @Test func nestedIterationStopsAtTheOperationBudget() {
        // 3,000 × 3,000 items: nine million operations, past the budget, stopped in well under a minute.
        let items = Value.array((0..<3_000).map { .int($0) })
        let rule: Value = .object(["map": .array([items, .object(["map": .array([items, .object(["var": ""])])])])])
        let started = Date()
        #expect(throws: JsonLogic.Limit(message: "the rule took more than \(JsonLogic.maxSteps) operations for this context")) {
            try JsonLogic().evaluate(rule, .null)
        }
        #expect(Date().timeIntervalSince(started) < 30)
    }
}
