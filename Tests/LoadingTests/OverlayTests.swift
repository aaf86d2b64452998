import Testing
import Model
@testable import Loading

@Suite struct OverlayTests {
    func environment(overlays: String) -> String {
        devEnvironment + "\n  overlays:\n" + overlays
    }

    @Test func aMatchingOverlayPatchesTheRenderedManifest() throws {
        let state = render(goodTable, extra: ["environments/dev.yaml": environment(overlays: """
            - select: { kind: Table, name: "*.silver.*", labels: { layer: silver } }
              patch:
                metadata: { annotations: { reconcile/protect: "true" } }
                spec:
                  comment: ~
                  properties: { delta.logRetentionDuration: "interval 90 days", delta.appendOnly: null, tier: "${var.catalog}" }
            - select: { kind: Table, name: "*.gold.*" }
              patch: { spec: { comment: never } }
        """)])
        let table = try #require(state.resources.first)
        #expect(table.table?.comment == nil, "null removes a field")
        #expect(table.table?.properties == ["delta.logRetentionDuration": "interval 90 days", "tier": "main"], "merged, with variables substituted")
        #expect(table.isProtected)
        #expect(table.origin?.path == "manifests/m.yaml", "the resource is still declared in its manifest")
        #expect(state.diagnostics.map(\.severity) == [.warning])
        #expect(state.diagnostics.first?.description == "environments/dev.yaml:15:7: warning: Environment/dev: spec.overlays[1] (kind Table, name \"*.gold.*\") selects no manifest; check its kind, name pattern and labels")
    }

    @Test func anErrorInAPatchedValuePointsAtTheEnvironmentFile() {
        let state = render(goodTable, extra: ["environments/dev.yaml": environment(overlays: """
            - select: { name: main.silver.orders }
              patch: { spec: { properties: { delta.appendOnyl: "true" } } }
        """)])
        let errors = state.diagnostics.filter { $0.severity == .error }
        #expect(errors.count == 1)
        #expect(errors.first?.location?.path == "environments/dev.yaml")
        #expect(errors.first?.location?.line == 10)
        #expect(errors.first?.message.contains("unknown Delta property \"delta.appendOnyl\"; did you mean \"delta.appendOnly\"?") == true, "\(errors)")
    }

    @Test func overlaysAreCheckedWhereTheyAreWritten() {
        let state = render(goodTable, extra: ["environments/dev.yaml": environment(overlays: """
            - select: {}
              patch: { kind: Grants }
            - select: { kind: Tabel }
              patch: { spec: { comment: x } }
        """)])
        let messages = state.diagnostics.map(\.description)
        #expect(messages.contains { $0.hasPrefix("environments/dev.yaml:9:15: error: Environment/dev: spec.overlays[0].select is empty") }, "\(messages)")
        #expect(messages.contains { $0.contains("unknown field \"spec.overlays[0].patch.kind\"; known fields here: metadata, spec") }, "\(messages)")
        #expect(!messages.contains { $0.hasPrefix("manifests/") }, "a broken overlay is not applied: \(messages)")
        #expect(messages.contains { $0.contains("spec.overlays[1].select.kind: unknown kind \"Tabel\"; did you mean \"Table\"?") }, "\(messages)")
    }

    @Test(arguments: [
        ("*.gold.*", "main.gold.revenue", true), ("*.gold.*", "main.silver.orders", false),
        ("main.*", "main.a.b", true), ("m?in.s.t", "main.s.t", true), ("*", "", true), ("a*b*c", "axxbyyc", true), ("a*b*c", "axxbyy", false),
    ])
    func globs(pattern: String, name: String, matches: Bool) {
        #expect(Overlay.glob(pattern, matches: name) == matches)
    }
}
