import Foundation
import Testing
import TestSupport

/// Inputs built to crash or exhaust a parser (#17): each is a positioned error within
/// seconds, never a signal.
@Suite struct HostileInputTests {
    func validate(_ manifest: String, environment: String? = nil) throws -> (ProcessResult, Double) {
        let project = try Project()
        try project.write("manifests/hostile.yaml", manifest)
        if let environment { try project.write("environments/dev.yaml", environment) }
        try project.commit("hostile input")
        let started = Date()
        let result = try project.reconcile("validate", "--env", "dev")
        return (result, Date().timeIntervalSince(started))
    }

    @Test func deeplyNestedCollectionsAreAPositionedError() throws {
        let depth = 8_707
        let (result, seconds) = try validate("apiVersion: reconcile/v1\nkind: FeatureFlag\nmetadata: { name: deep }\nspec:\n  metadata:\n    x: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n")
        #expect(result.code == 1, "\(result.output.prefix(2000))")
        #expect(result.stderr.contains("manifests/hostile.yaml:6:") && result.stderr.contains("collections nest more than 100 levels deep"), "\(result.stderr.prefix(2000))")
        #expect(seconds < 10)
    }

    @Test func deeplyNestedColumnTypesAreAPositionedError() throws {
        let type = String(repeating: "array<", count: 100_000) + "int" + String(repeating: ">", count: 100_000)
        let (result, seconds) = try validate("apiVersion: reconcile/v1\nkind: Table\nmetadata: { name: main.silver.deep }\nspec:\n  columns: [{ name: c, type: \"\(type)\" }]\n")
        #expect(result.code == 1, "\(result.output.prefix(2000))")
        #expect(result.stderr.contains("manifests/hostile.yaml:5:") && result.stderr.contains("types nest more than 32 levels deep"), "\(result.stderr.prefix(2000))")
        // The message quotes the type cut in the middle, not its 600 kB (it printed 700 kB).
        #expect(result.stderr.utf8.count < 4_000 && result.stderr.contains("characters left out"), "\(result.stderr.utf8.count) bytes")
        #expect(seconds < 10)
    }

    @Test func anAliasBombIsStoppedAtItsAnchor() throws {
        var bomb = "a: &a [\"${var.catalog}\", \"${var.catalog}\", \"${var.catalog}\", \"${var.catalog}\", \"${var.catalog}\", \"${var.catalog}\", \"${var.catalog}\", \"${var.catalog}\", \"${var.catalog}\"]\n"
        for (level, previous) in zip("bcdefghij", "abcdefghi") {
            bomb += "\(level): &\(level) [*\(previous), *\(previous), *\(previous), *\(previous), *\(previous), *\(previous), *\(previous), *\(previous), *\(previous)]\n"
        }
        let manifest = "apiVersion: reconcile/v1\nkind: FeatureFlag\nmetadata: { name: bomb }\nspec:\n  variants: { \"on\": true }\n  defaultVariant: \"on\"\n  metadata:\n" + bomb.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n"
        let (result, seconds) = try validate(manifest)
        #expect(result.code == 1, "\(result.output.prefix(2000))")
        #expect(result.stderr.contains("manifests/hostile.yaml:") && result.stderr.contains("aliases of \"&"), "\(result.stderr.prefix(2000))")
        #expect(seconds < 10, "stopped early, not after expanding: \(seconds) s")
    }

    @Test func aLongVariableUnderAliasesIsBoundedNotExpandedToGigabytes() throws {
        // 9^4 copies of a 100 kB variable would be 656 MB of text; the node budget allows
        // the aliases, the substitution budget stops the text.
        let long = String(repeating: "x", count: 100_000)
        let environment = Project.devEnvironment.replacingOccurrences(of: "variables: { catalog: main }", with: "variables: { catalog: main, long: \"\(long)\" }")
        var tree = "a: &a [\"${var.long}\", \"${var.long}\", \"${var.long}\", \"${var.long}\", \"${var.long}\", \"${var.long}\", \"${var.long}\", \"${var.long}\", \"${var.long}\"]\n"
        for (level, previous) in zip("bcd", "abc") {
            tree += "\(level): &\(level) [*\(previous), *\(previous), *\(previous), *\(previous), *\(previous), *\(previous), *\(previous), *\(previous), *\(previous)]\n"
        }
        let manifest = "apiVersion: reconcile/v1\nkind: FeatureFlag\nmetadata: { name: long }\nspec:\n  variants: { \"on\": true }\n  defaultVariant: \"on\"\n  metadata:\n" + tree.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n"
        let (result, seconds) = try validate(manifest, environment: environment)
        #expect(result.code == 1, "\(result.output.prefix(2000))")
        #expect(result.stderr.contains("manifests/hostile.yaml:") && result.stderr.contains("more than 16 MiB of text"), "\(result.stderr.prefix(2000))")
        #expect(seconds < 20, "\(seconds) s")
    }

    @Test func fractionalWeightsThatWouldOverflowDoNotValidate() throws {
        let environment = Project.devEnvironment.replacingOccurrences(of: "variables: { catalog: main }", with: "variables: { catalog: main, rollout: \"9223372036854775807\" }")
        let (result, _) = try validate("""
            apiVersion: reconcile/v1
            kind: FeatureFlag
            metadata: { name: rollout }
            spec:
              variants: { "on": true, "off": false }
              defaultVariant: "off"
              targeting: { fractional: [["on", "${var.rollout}"], ["off", 1]] }
            """, environment: environment)
        #expect(result.code == 1, "\(result.output)")
        #expect(result.stderr.contains("manifests/hostile.yaml:7:") && result.stderr.contains("must be a whole number from 0 to 2147483647"), "\(result.stderr)")
    }

    @Test func aMappingWithAHundredThousandKeysLoadsInLinearTime() throws {
        let keys = (0..<100_000).map { "    k\($0): v" }.joined(separator: "\n")
        let (result, seconds) = try validate("apiVersion: reconcile/v1\nkind: FeatureFlag\nmetadata: { name: wide }\nspec:\n  variants: { \"on\": true }\n  defaultVariant: \"on\"\n  metadata:\n" + keys + "\n    k99999: again\n")
        #expect(result.code == 1 && result.stderr.contains("duplicate key \"k99999\" (first defined at line 100007)"), "\(result.output.prefix(1000))")
        #expect(seconds < 10, "the duplicate check is linear: \(seconds) s")
    }

    @Test func badBytesAreReportedWhereTheyAre() throws {
        let (control, _) = try validate("apiVersion: reconcile/v1\nkind: FeatureFlag\nmetadata: { name: \"a\u{1}b\" }\nspec:\n  variants: { \"on\": true }\n  defaultVariant: \"on\"\n")
        #expect(control.code == 1)
        #expect(control.stderr.contains("manifests/hostile.yaml:3:21: error: control characters are not allowed (byte 0x01)"), "\(control.stderr)")
        #expect(!control.stderr.contains("\u{1}"), "never printed raw")

        let project = try Project()
        var bytes = Array("apiVersion: reconcile/v1\nkind: FeatureFlag\nmetadata: { name: x }\nspec:\n  variants: { \"on\": true }\n  defaultVariant: \"\u{E9}\u{E9}o".utf8)
        bytes += [0xFF] + Array("n\"\n".utf8)
        try Data(bytes).write(to: project.url.appendingPathComponent("manifests/hostile.yaml"))
        try project.commit("invalid UTF-8")
        let invalid = try project.reconcile("validate", "--env", "dev")
        #expect(invalid.code == 1)
        #expect(invalid.stderr.contains("manifests/hostile.yaml:6:23: error: invalid leading UTF-8 octet (byte 0xFF)"), "columns count characters: \(invalid.stderr)")
    }
}
