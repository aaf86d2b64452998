import Foundation
import Testing
import Model
import TestSupport
@testable import Loading

/// What `reconcile import` writes reads back to the same resources (#14): every kind
/// of the repository's own example, written one file each and loaded again.
@Suite struct ManifestWriterTests {
    static func files(under directory: String) throws -> [String: String] {
        let root = Paths.packageRoot.appendingPathComponent(directory)
        var files: [String: String] = [:]
        for case let path as String in FileManager.default.enumerator(atPath: root.path)! where path.hasSuffix(".yaml") {
            files["\(directory)/\(path)"] = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
        }
        return files
    }

    @Test(arguments: ["dev", "prod"]) func everyKindRoundTrips(_ name: String) throws {
        let environments = try Self.files(under: "environments")
        let original = Loader.load(source(environments.merging(try Self.files(under: "manifests")) { $1 }))
        let environment = try Loader.environment(name, in: original)
        let state = Loader.render(original, for: environment)
        #expect(state.diagnostics.filter { $0.severity == .error }.isEmpty)
        let kinds = Set(state.resources.map(\.id.kind))
        #expect(kinds == Set(ResourceKind.allCases), "the example has every kind: \(kinds)")

        let writer = ManifestWriter(variables: environment.variables)
        var written = environments
        for resource in state.resources { written["manifests/imported/" + ManifestWriter.fileName(resource.id)] = writer.manifest(resource) }
        let reloaded = Loader.load(source(written))
        let again = Loader.render(reloaded, for: try Loader.environment(name, in: reloaded))
        #expect(again.diagnostics.filter { $0.severity == .error }.isEmpty, "\(again.diagnostics)")
        let before = Dictionary(uniqueKeysWithValues: state.resources.map { ($0.id, $0.spec) })
        let after = Dictionary(uniqueKeysWithValues: again.resources.map { ($0.id, $0.spec) })
        #expect(Set(after.keys) == Set(before.keys))
        for (id, spec) in before where after[id] != spec {
            Issue.record("\(id) reads back differently:\n\(writer.manifest(state.resources.first { $0.id == id }!))")
        }
    }

    @Test func namesUseVariablesAndLiteralTemplatesAreEscaped() {
        let writer = ManifestWriter(variables: ["catalog": "main", "env": "dev", "same": "main"])
        #expect(writer.templated("dev.silver.orders") == "${var.env}.silver.orders")
        #expect(writer.templated("main.silver.x") == "main.silver.x", "two variables hold main: ambiguous, left literal")
        let flag = Resource(id: ResourceID(.featureFlag, "f"), spec: .featureFlag(FlagSpec(variants: ["on": true, "off": false], defaultVariant: "off",
                                                                                        metadata: ["note": "costs ${dollars}", "yes": "quoted key"])))
        let text = writer.manifest(flag)
        #expect(text.contains("note: \"costs $${dollars}\""), "\(text)")
        #expect(text.contains("\"yes\": \"quoted key\""), "\(text)")
        #expect(text.contains("\"on\": true"), "\(text)")
    }
}
