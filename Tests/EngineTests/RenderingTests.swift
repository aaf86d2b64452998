import Foundation
import Testing
import Model
import Engine
@testable import Rendering

/// Golden output: the renderings of one plan that has every kind of change.
/// Set RECORD_SNAPSHOTS=1 to rewrite the files after an intended change.
@Suite struct RenderingTests {
    static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

    func samplePlan() -> Plan {
        var narrowed = Fixture.orders
        narrowed[1].type = .integer
        let desired = [
            Fixture.catalog("main", comment: "analytics"),
            Fixture.schema("main.silver"),
            Fixture.table("main.silver.orders", Fixture.orders + [Column(name: "email", type: .string)], properties: ["quality": "silver"]),
            Fixture.table("main.silver.payments", narrowed),
            Fixture.table("main.silver.new_table", [Column(name: "id", type: .long, nullable: false, comment: "key")], partitionedBy: []),
        ]
        let observed = [
            Fixture.catalog("main"), Fixture.schema("main.silver"),
            Fixture.table("main.silver.orders", Fixture.orders, properties: ["quality": "bronze"], hasData: true),
            Fixture.table("main.silver.payments", Fixture.orders, hasData: true),
            Fixture.table("main.silver.retired", Fixture.orders, hasData: true),
            Fixture.table("main.silver.foreign", Fixture.orders, hasData: false),
        ]
        let input = Fixture.input(desired: desired, observed: observed,
                                  // main.silver.orders exists but was not created here: it is adopted.
                                  inventory: [ResourceID(.catalog, "main"), ResourceID(.schema, "main.silver"),
                                              ResourceID(.table, "main.silver.retired"), ResourceID(.table, "main.silver.payments")])
        return PolicyCheck.evaluate(Planner.plan(input), policy: Policy(destructive: .deny), desired: desired, inventory: input.inventory, options: .init())
    }

    func assertSnapshot(_ text: String, _ name: String) throws {
        let url = Self.snapshots.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(text == expected, "rendering differs from \(name); if intended, rerun with RECORD_SNAPSHOTS=1")
    }

    @Test func human() throws {
        let text = PlanRenderer.render(samplePlan(), as: .human)
        #expect(text.contains("  <= Table/main.silver.orders  (adopt: exists, not created by this environment)\n"))
        #expect(text.contains("      + column email string\n"))
        #expect(text.contains("  -/+ Table/main.silver.payments  (destructive)"))
        #expect(text.contains("✗ refused:"))
        #expect(!text.contains("\u{1B}["), "no colour unless asked")
        try assertSnapshot(text, "plan.txt")
    }

    @Test func colourOnlyWhenEnabled() {
        let text = PlanRenderer.render(samplePlan(), as: .human, style: TerminalStyle(enabled: true))
        #expect(text.contains("\u{1B}[32m+\u{1B}[0m"))
    }

    @Test func json() throws {
        let text = PlanRenderer.render(samplePlan(), as: .json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["formatVersion"] as? Int == 1)
        let changes = try #require(object["changes"] as? [[String: Any]])
        #expect(changes.map { $0["action"] as? String } == ["update", "create", "update", "replace", "delete"])
        #expect(changes[3]["destructive"] as? Bool == true)
        #expect(changes[3]["refused"] is String)
        #expect((object["unmanaged"] as? [String]) == ["Table/main.silver.foreign"])
        try assertSnapshot(text, "plan.json")
    }

    @Test func markdown() throws {
        let text = PlanRenderer.render(samplePlan(), as: .markdown)
        #expect(text.contains("| `-/+` | `Table/main.silver.payments` | replace |"))
        #expect(text.contains("```diff\n"))
        try assertSnapshot(text, "plan.md")
    }

    @Test func emptyPlanSaysSo() {
        let plan = Planner.plan(Fixture.input(desired: [Fixture.catalog("main")], observed: [Fixture.catalog("main")]))
        #expect(PlanRenderer.render(plan, as: .human).contains("No changes."))
        #expect(PlanRenderer.render(plan, as: .markdown).contains("**No changes.**"))
    }

    @Test func diagnosticsShowTheLineAndACaret() {
        let renderer = DiagnosticRenderer { path, line in path == "m.yaml" && line == 3 ? "    type: strng" : nil }
        let text = renderer.render([.error(at: SourceLocation(path: "m.yaml", line: 3, column: 11), "invalid type")])
        #expect(text == "m.yaml:3:11: error: invalid type\n 3 |     type: strng\n   |           ^\n")
    }

    @Test func diagnosticsAreBoundedAndNeverCarryControlCharacters() {
        let long = String(repeating: "x", count: 30_000) + "BAD" + String(repeating: "y", count: 30_000)
        let renderer = DiagnosticRenderer { _, _ in long }
        let one = renderer.render([.error(at: SourceLocation(path: "m.yaml", line: 1, column: 30_001), "bad \u{1B}[31mname\u{7}")])
        #expect(one.count < 600, "a window of the line, not all of it: \(one.count) characters")
        #expect(one.contains("…") && one.contains("BAD"))
        #expect(!one.contains("\u{1B}") && one.contains("\\u{1B}[31mname\\u{7}"), "escaped, not sent to the terminal: \(one)")
        let caretLine = one.split(separator: "\n")[2]
        let quoted = one.split(separator: "\n")[1]
        let caret = caretLine.distance(from: caretLine.startIndex, to: caretLine.firstIndex(of: "^")!)
        let bad = quoted.distance(from: quoted.startIndex, to: quoted.range(of: "BAD")!.lowerBound)
        #expect(caret == bad, "the caret stays under the column")

        let many = (1...5_000).map { Diagnostic.error(at: SourceLocation(path: "m.yaml", line: $0, column: 1), "error \($0)") }
        let text = DiagnosticRenderer { _, _ in "a line" }.render(many)
        #expect(text.split(separator: "\n").count < 700, "a few hundred shown, the rest counted")
        #expect(text.contains("… and 4800 more (4800 errors) not shown") && text.hasSuffix("5000 errors\n"))
    }
}
