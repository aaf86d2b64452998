import Foundation
import Testing
import TestSupport

/// The repository's own example read by real clients: its flags by the OpenFeature
/// flagd provider, its manifests by a JSON Schema validator.
@Suite struct ExampleFlagsAndSchemaTests {
    /// A temporary git repository holding a copy of this repository's example.
    func example() throws -> GitFixture {
        let repo = try GitFixture()
        for directory in ["manifests", "environments", "pipelines"] {
            try FileManager.default.copyItem(at: Paths.packageRoot.appendingPathComponent(directory), to: repo.url.appendingPathComponent(directory))
        }
        try repo.commit("the example")
        return repo
    }

    struct Evaluation: Decodable {
        var flag: String
        var targetingKey: String?
        var variant: String?
        var reason: String
        var error: String?
    }

    func evaluate(_ flagsFile: URL, _ requests: [[String: Any]], in directory: URL) throws -> [Evaluation] {
        let requestsFile = directory.appendingPathComponent("requests.json")
        try JSONSerialization.data(withJSONObject: requests).write(to: requestsFile)
        let result = try Shell.run(Paths.python, [Paths.flagdEval, flagsFile.path, requestsFile.path])
        #expect(result.code == 0, "\(result.output)")
        return try JSONDecoder().decode([Evaluation].self, from: Data(result.stdout.utf8))
    }

    @Test func theFlagdProviderEvaluatesThePublishedFlags() throws {
        let repo = try example()
        for env in ["dev", "prod"] {
            let applied = try Shell.run(Paths.reconcile, ["apply", "--env", env], in: repo.url)
            #expect(applied.code == 0, "\(applied.output)")
        }
        let keys = (0..<1000).map { "user-\($0)" }
        var requests: [[String: Any]] = keys.map { ["flag": "new-checkout", "type": "boolean", "default": false, "targetingKey": $0] }
        requests += keys.map { ["flag": "churn-model-alias", "type": "string", "default": "none", "targetingKey": $0] }
        requests += [
            ["flag": "dashboard-theme", "type": "string", "default": "none", "targetingKey": "a", "attributes": ["email": "ana@example.com"]],
            ["flag": "dashboard-theme", "type": "string", "default": "none", "targetingKey": "b", "attributes": ["email": "bo@elsewhere.org"]],
            ["flag": "legacy-export", "type": "boolean", "default": true, "targetingKey": "a"],
        ]
        let dev = try evaluate(repo.url.appendingPathComponent(".lakehouse/dev/flags.json"), requests, in: repo.url)
        #expect(dev.allSatisfy { $0.error == nil }, "\(dev.filter { $0.error != nil }.prefix(3))")
        let checkout = dev.prefix(1000)
        let on = checkout.filter { $0.variant == "on" }.count
        #expect((440...560).contains(on), "dev rolls new-checkout out to 50%: \(on) of 1000")
        #expect(checkout.allSatisfy { $0.reason == "TARGETING_MATCH" })
        let challenger = dev.dropFirst(1000).prefix(1000).filter { $0.variant == "challenger" }.count
        #expect((150...250).contains(challenger), "20% see the challenger: \(challenger) of 1000")
        #expect(dev[2000].variant == "dark")
        #expect(dev[2001].variant == "light")
        #expect(dev[2002].reason == "DISABLED")

        // The same file format, other variables: prod rolls out to 5%, sticky per user.
        let prod = try evaluate(repo.url.appendingPathComponent(".lakehouse/prod/flags.json"), Array(requests.prefix(1000)), in: repo.url)
        let prodOn = prod.filter { $0.variant == "on" }
        #expect((20...90).contains(prodOn.count), "prod rolls out to 5%: \(prodOn.count) of 1000")
        let devOn = Set(checkout.filter { $0.variant == "on" }.compactMap(\.targetingKey))
        #expect(prodOn.filter { devOn.contains($0.targetingKey!) }.count > prodOn.count / 2, "bucketing is stable across files for the same key")
    }

    @Test func everyManifestValidatesAgainstTheSchemaAndBrokenOnesDoNot() throws {
        let repo = try example()
        let schema = try Shell.run(Paths.reconcile, ["schema"], in: repo.url)
        #expect(schema.code == 0)
        let schemaFile = repo.url.appendingPathComponent("schema.json")
        try schema.stdout.write(to: schemaFile, atomically: true, encoding: .utf8)
        let files = try FileManager.default.subpathsOfDirectory(atPath: repo.url.path)
            .filter { ($0.hasPrefix("manifests/") || $0.hasPrefix("environments/")) && $0.hasSuffix(".yaml") }
            .map { repo.url.appendingPathComponent($0).path }
        #expect(files.count >= 8)
        let result = try Shell.run(Paths.python, [Paths.schemaCheck, schemaFile.path] + files)
        #expect(result.code == 0, "\(result.output)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect((report["checked"] as? Int ?? 0) >= 30)
        #expect((report["errors"] as? [Any])?.isEmpty == true, "\(report)")

        let broken = repo.url.appendingPathComponent("broken.yaml")
        try """
        apiVersion: reconcile/v1
        kind: Table
        metadata: { name: a.b.c }
        spec: { colums: [] }
        ---
        apiVersion: reconcile/v2
        kind: Catalog
        metadata: { name: a }
        ---
        apiVersion: reconcile/v1
        kind: Grants
        metadata: { name: g }
        spec: { securable: { type: table, name: a.b.c }, grants: [{ principal: x, privileges: [SELEKT] }] }
        ---
        apiVersion: reconcile/v1
        kind: Pipeline
        metadata: { name: p }
        spec: { catalog: a, target: b, libraries: [x.sql], continuous: "yes" }
        ---
        apiVersion: reconcile/v1
        kind: Model
        metadata: { name: a.b.m }
        spec: { versions: [{ version: 1, source: /not/a/uri }] }
        """.write(to: broken, atomically: true, encoding: .utf8)
        let rejected = try Shell.run(Paths.python, [Paths.schemaCheck, schemaFile.path, broken.path])
        let errors = (try JSONSerialization.jsonObject(with: Data(rejected.stdout.utf8)) as? [String: Any])?["errors"] as? [[String: Any]] ?? []
        #expect(Set(errors.compactMap { $0["document"] as? Int }) == [0, 1, 2, 3, 4], "every broken document is rejected: \(errors)")
    }
}
