import Foundation
import Testing
import TestSupport

/// The repository's own example (manifests/, environments/) applies, converges, and
/// every table it creates reads back in delta-rs exactly as declared.
@Suite struct OwnManifestsTests {
    @Test func theRepositoryExampleConvergesAndReadsBackExactly() throws {
        let repo = try GitFixture()
        for directory in ["manifests", "environments", "pipelines"] {
            try FileManager.default.copyItem(at: Paths.packageRoot.appendingPathComponent(directory),
                                             to: repo.url.appendingPathComponent(directory))
        }
        try repo.commit("the example")
        let run = { (arguments: [String]) in try Shell.run(Paths.reconcile, arguments, in: repo.url) }

        #expect(try run(["validate"]).code == 0)
        // What the manifests declare, as the plan's JSON states it (before anything exists).
        let planned = try run(["plan", "--env", "dev", "--output", "json"])
        #expect(planned.code == 2, "\(planned.output)")
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(planned.stdout.utf8)) as? [String: Any])
        let tables = (plan["changes"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "Table" }
        #expect(tables.count >= 6)

        let applied = try run(["apply", "--env", "dev"])
        #expect(applied.code == 0, "\(applied.output)")
        let again = try run(["plan", "--env", "dev"])
        #expect(again.code == 0, "the example must converge in one apply: \(again.output)")

        let paths = tables.map { ".lakehouse/dev/" + ($0["name"] as! String).replacingOccurrences(of: ".", with: "/") }
        let result = try Shell.run(Paths.python, [Paths.deltaInspect] + paths, in: repo.url)
        #expect(result.code == 0, "delta-rs must read every table: \(result.stdout)")
        let read = try #require((try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])?["tables"] as? [String: [String: Any]])
        for (change, path) in zip(tables, paths) {
            let declared = try #require(change["after"] as? [String: Any])
            let table = try #require(read[path], "delta-rs did not read \(path)")
            let columns = declared["columns"] as? [[String: Any]] ?? []
            #expect(fields(table).map { $0["name"] as? String } == columns.map { $0["name"] as? String }, "\(path)")
            #expect(fields(table).map { $0["nullable"] as? Bool } == columns.map { $0["nullable"] as? Bool }, "\(path)")
            #expect(fields(table).map { ($0["metadata"] as? [String: Any])?["comment"] as? String } == columns.map { $0["comment"] as? String }, "\(path)")
            #expect(table["partitionColumns"] as? [String] == declared["partitionedBy"] as? [String], "\(path)")
            #expect(table["description"] as? String == declared["comment"] as? String, "\(path)")
            var configuration = declared["properties"] as? [String: String] ?? [:]
            for (name, expression) in declared["constraints"] as? [String: String] ?? [:] {
                configuration["delta.constraints." + name] = expression
            }
            // Tags ride in the configuration as JSON text (keys sorted).
            if let tags = declared["tags"] as? [String: String], !tags.isEmpty {
                let data = try JSONSerialization.data(withJSONObject: tags, options: [.sortedKeys])
                configuration["reconcile.tags"] = String(decoding: data, as: UTF8.self)
            }
            #expect(table["configuration"] as? [String: String] == configuration, "\(path)")
        }
        // Types are spelt differently by the two (bigint / long); check one table in full.
        let orders = try #require(read[".lakehouse/dev/main/silver/orders"])
        #expect(fields(orders).map { typeName($0["type"]) } == [
            "long", "long", "date", "string", "decimal(18,2)", "string", "struct<street,city,postal_code,country>", "timestamp",
        ])
    }

    func typeName(_ type: Any?) -> String {
        if let name = type as? String { return name }
        let object = type as? [String: Any] ?? [:]
        let names = (object["fields"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        return "\(object["type"] as? String ?? "?")<\(names.joined(separator: ","))>"
    }

    /// The README's tour shows a real plan: the same edit on the repository's own
    /// manifests prints exactly that (but for the revision).
    @Test func theReadmeTourPlanIsWhatPlanPrints() throws {
        let readme = try String(contentsOf: Paths.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let marker = "$ reconcile plan --env dev            # exit 2: changes pending\n"
        let start = try #require(readme.range(of: marker)).upperBound
        let end = try #require(readme.range(of: "\n$ ", range: start..<readme.endIndex)).lowerBound
        let shown = String(readme[start..<end])

        let repo = try GitFixture()
        for directory in ["manifests", "environments", "pipelines"] {
            try FileManager.default.copyItem(at: Paths.packageRoot.appendingPathComponent(directory), to: repo.url.appendingPathComponent(directory))
        }
        try repo.write(".gitignore", ".lakehouse/\n")
        try repo.commit("the example")
        #expect(try Shell.run(Paths.reconcile, ["apply", "--env", "dev"], in: repo.url).code == 0)
        let orders = try String(contentsOf: repo.url.appendingPathComponent("manifests/silver/orders.yaml"), encoding: .utf8)
        let currency = try #require(orders.range(of: "    - { name: currency, type: char(3), nullable: false }\n"))
        try repo.write("manifests/silver/orders.yaml", orders.replacingCharacters(in: currency.upperBound..<currency.upperBound, with: "    - { name: email, type: string }\n"))
        let revision = String(try repo.commit("orders: add email").prefix(7))
        let plan = try Shell.run(Paths.reconcile, ["plan", "--env", "dev"], in: repo.url)
        #expect(plan.code == 2)
        let revisionInReadme = try #require(shown.split(separator: " ").first { $0.count == 7 && $0.allSatisfy(\.isHexDigit) })
        #expect(plan.stdout.trimmingCharacters(in: .newlines) == shown.replacingOccurrences(of: String(revisionInReadme), with: revision),
                "README tour differs from: \(plan.stdout)")
    }
}
