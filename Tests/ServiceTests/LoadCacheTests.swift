import Foundation
import Loading
import Model
import Testing
import TestSupport
import Workspace

/// What `watch` keeps between revisions renders what reading afresh renders (#16):
/// manifests whose decoding is cached are not read again, and a render in another
/// context (an edited environment file, another environment) reads what it needs.
@Suite struct LoadCacheTests {
    func environment(_ name: String, _ catalog: String) -> String {
        "apiVersion: reconcile/v1\nkind: Environment\nmetadata: { name: \(name) }\nspec:\n  target: { type: local, path: .lakehouse/\(name) }\n  variables: { prefix: \(catalog) }\n"
    }

    func rendered(_ workspace: Workspace, _ name: String) throws -> [String] {
        try workspace.desired(workspace.environment(name)).resources.map { "\($0.id) \($0.spec)" }
    }

    @Test func aRevisionRenderedThroughTheCacheIsTheRevisionRenderedAfresh() throws {
        let repo = try GitFixture()
        try repo.write("environments/dev.yaml", environment("dev", "d"))
        try repo.write("environments/staging.yaml", environment("staging", "s"))
        for index in 0..<20 { try repo.write("manifests/t\(index).yaml", "apiVersion: reconcile/v1\nkind: Catalog\nmetadata: { name: \"${var.prefix}\(index)\" }\n") }
        try repo.commit("one")
        let cache = LoadCache()
        let options = ReadOptions(repo: repo.url.path)
        #expect(try rendered(Workspace(options, cache: cache), "dev") == rendered(Workspace(options), "dev"))

        try repo.write("manifests/t3.yaml", "apiVersion: reconcile/v1\nkind: Catalog\nmetadata: { name: changed }\n")
        try FileManager.default.removeItem(at: repo.url.appendingPathComponent("manifests/t4.yaml"))
        try repo.write("manifests/new.yaml", "apiVersion: reconcile/v1\nkind: Catalog\nmetadata: { name: added }\n")
        try repo.commit("two")
        let cached = try Workspace(options, cache: cache)
        #expect(cached.source.files.filter(\.omitted).count == 18, "the 18 unchanged manifests are listed, not read")
        #expect(try rendered(cached, "dev") == rendered(Workspace(options), "dev"))
        // Another environment: another context, so the revision is read whole for it.
        #expect(try rendered(cached, "staging") == rendered(Workspace(options), "staging"))

        // An edited environment file changes the context: every manifest is read again.
        try repo.write("environments/dev.yaml", environment("dev", "e"))
        try repo.commit("three")
        let edited = try Workspace(options, cache: cache)
        #expect(try rendered(edited, "dev") == rendered(Workspace(options), "dev"))
        #expect(try rendered(edited, "dev").contains { $0.hasPrefix("Catalog/e0 ") })
    }
}
