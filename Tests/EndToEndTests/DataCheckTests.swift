import Foundation
import Testing
import TestSupport

/// NOT NULL and CHECK on a table with rows (#13): in place when the rows satisfy
/// them, refused with the evidence when they do not, decided from file statistics
/// when those are conclusive and by reading the data files otherwise.
@Suite struct DataCheckTests {
    static func project(rows: String = #"{"id": [1, 2, 3], "email": ["a@x", None, "c@x"], "score": [0.5, 1.5, 2.5]}"#) throws -> Project {
        let project = try Project()
        try project.write("manifests/silver/people.yaml", DataPreservingTests.people.replacingOccurrences(of: "type: float", with: "type: double"))
        try project.commit("people")
        try project.apply()
        try project.python("""
        import pyarrow as pa
        from deltalake import write_deltalake
        data = \(rows)
        write_deltalake("\(DataPreservingTests.path)", pa.table({"id": pa.array(data["id"], pa.int32()), "email": data["email"],
                                                              "score": pa.array(data["score"], pa.float64())}), mode="append")
        """)
        return project
    }

    /// The manifest with `edit` applied, committed; the plan's JSON.
    static func plan(_ project: Project, _ edit: (String) -> String, _ extra: String...) throws -> (code: Int32, json: [String: Any], text: String) {
        try project.write("manifests/silver/people.yaml", edit(DataPreservingTests.people.replacingOccurrences(of: "type: float", with: "type: double")))
        try project.commit("tighten")
        let result = try project.reconcile(["plan", "--env", "dev", "--output", "json"] + extra)
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        let text = try project.reconcile(["plan", "--env", "dev"] + extra)
        return (result.code, json, text.stdout + text.stderr)
    }

    static func checks(_ json: [String: Any]) -> [[String: Any]] {
        ((json["changes"] as? [[String: Any]])?.first { $0["resource"] as? String == "Table/main.silver.people" }?["dataChecks"] as? [[String: Any]]) ?? []
    }

    @Test func notNullOnAColumnWithNullsIsRefusedWithTheEvidence() throws {
        let project = try Self.project()
        let plan = try Self.plan(project) { $0.replacingOccurrences(of: "{ name: email, type: string }", with: "{ name: email, type: string, nullable: false }") }
        #expect(plan.code == 1, "\(plan.text)")
        #expect(plan.text.contains("column email has 1 null in 1 file; fix those rows (or the manifest), then plan again"), "\(plan.text)")
        #expect(Self.checks(plan.json).first?["verdict"] as? String == "violated")
        #expect(try project.reconcile("apply", "--env", "dev", "--allow-destructive", "--allow-unverified").code == 1, "no override applies a violated check")
        let table = try project.deltaRS(DataPreservingTests.path)
        #expect(field(table, "email")?["nullable"] as? Bool == true)
    }

    @Test func notNullOnAColumnWithoutNullsIsInPlaceFromStatistics() throws {
        let project = try Self.project()
        let plan = try Self.plan(project) { $0.replacingOccurrences(of: "{ name: id, type: int }", with: "{ name: id, type: int, nullable: false }") }
        #expect(plan.code == 2, "\(plan.text)")
        #expect(plan.text.contains("checked: column id has no nulls in 1 file (from their statistics)"), "\(plan.text)")
        #expect(plan.text.contains("0 to replace"))
        try project.apply()
        let table = try project.deltaRS(DataPreservingTests.path)
        #expect(field(table, "id")?["nullable"] as? Bool == false)
        #expect((try project.rows(DataPreservingTests.path).deltaRS as? [[String: Any]])?.count == 3, "the rows stay")
    }

    @Test func withoutStatisticsTheDataFilesAreRead() throws {
        let project = try Self.project()
        // Drop the statistics delta-rs wrote, so only the data file can tell.
        try project.python("""
        import json, os
        log = "\(DataPreservingTests.path)/_delta_log"
        name = os.path.join(log, "00000000000000000001.json")
        actions = [json.loads(line) for line in open(name)]
        for action in actions:
            if "add" in action:
                action["add"]["stats"] = None
        open(name, "w").write("".join(json.dumps(action) + "\\n" for action in actions))
        """)
        let refused = try Self.plan(project) { $0.replacingOccurrences(of: "{ name: email, type: string }", with: "{ name: email, type: string, nullable: false }") }
        #expect(refused.text.contains("column email has 1 null in 1 file"), "\(refused.text)")
        let allowed = try Self.plan(project) { $0.replacingOccurrences(of: "{ name: id, type: int }", with: "{ name: id, type: int, nullable: false }") }
        #expect(allowed.code == 2)
        #expect(allowed.text.contains("checked: column id has no nulls in 1 file (by reading them)"), "\(allowed.text)")
        let check = try Self.plan(project) { $0 + "\n  constraints:\n    positive: score > 0" }
        #expect(check.text.contains("checked: every row in 1 file satisfies CHECK positive (score > 0) (by reading them)"), "\(check.text)")
    }

    @Test func aCheckTheRowsSatisfyIsAddedInPlaceAndOneTheyFailIsRefused() throws {
        let project = try Self.project()
        let satisfied = try Self.plan(project) { $0 + "\n  constraints:\n    positive: score >= 0 AND id BETWEEN 1 AND 3" }
        #expect(satisfied.code == 2, "\(satisfied.text)")
        #expect(satisfied.text.contains("checked: every row in 1 file satisfies CHECK positive (score >= 0 AND id BETWEEN 1 AND 3) (from their statistics)"), "\(satisfied.text)")

        let violated = try Self.plan(project) { $0 + "\n  constraints:\n    small: score < 2 OR email IS NULL" }
        #expect(violated.code == 1)
        #expect(violated.text.contains("1 row in 1 file does not satisfy CHECK small (score < 2 OR email IS NULL)"), "\(violated.text)")

        try project.write("manifests/silver/people.yaml", DataPreservingTests.people.replacingOccurrences(of: "type: float", with: "type: double") + "\n  constraints:\n    positive: score >= 0")
        try project.commit("positive")
        try project.apply()
        let table = try project.deltaRS(DataPreservingTests.path)
        #expect((table["configuration"] as? [String: String])?["delta.constraints.positive"] == "score >= 0")
        #expect((try project.rows(DataPreservingTests.path).duckDB as? [[String: Any]])?.count == 3)
    }

    @Test func anExpressionTheCheckerCannotEvaluateNeedsAllowUnverified() throws {
        let project = try Self.project()
        let plan = try Self.plan(project) { $0 + "\n  constraints:\n    named: length(email) > 0" }
        #expect(plan.code == 1)
        #expect(plan.text.contains("could not be checked: the checker does not evaluate the function length(); pass --allow-unverified"), "\(plan.text)")
        #expect(Self.checks(plan.json).first?["verdict"] as? String == "unverifiable")
        try project.apply("dev", "--allow-unverified")
        let table = try project.deltaRS(DataPreservingTests.path)
        #expect((table["configuration"] as? [String: String])?["delta.constraints.named"] == "length(email) > 0")
    }
}
