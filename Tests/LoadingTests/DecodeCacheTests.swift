import Testing
import Foundation
import GitStore
import Model
import TestSupport
@testable import Loading

/// Incremental decoding (#16): a revision that changes one manifest out of many
/// decodes that one file; the state is the same as decoding everything.
@Suite struct DecodeCacheTests {
    func table(_ index: Int, comment: String = "a table") -> String {
        "apiVersion: reconcile/v1\nkind: Table\nmetadata: { name: \"${var.catalog}.silver.t\(index)\" }\nspec:\n  comment: \(comment)\n  columns: [{ name: id, type: bigint }]\n"
    }

    func render(_ repo: GitFixture, _ cache: DecodeCache?) throws -> DesiredState {
        let loaded = Loader.load(try SourceSet.read(from: try Repository(at: repo.url.path), revision: "HEAD"))
        return Loader.render(loaded, for: try Loader.environment("dev", in: loaded), cache: cache)
    }

    @Test func oneChangedFileIsTheOneDecodedAgain() throws {
        let repo = try GitFixture()
        try repo.write("environments/dev.yaml", devEnvironment)
        for index in 0..<200 { try repo.write("manifests/t\(index).yaml", table(index)) }
        try repo.commit("200 tables")
        let cache = DecodeCache()
        let first = try render(repo, cache)
        #expect(first.resources.count == 200 && first.diagnostics.isEmpty, "\(first.diagnostics)")
        #expect(cache.decoded == 200)

        try repo.write("manifests/t7.yaml", table(7, comment: "changed"))
        try repo.commit("one file")
        let second = try render(repo, cache)
        #expect(cache.decoded == 201, "only the changed file is decoded again")
        let uncached = try render(repo, nil)
        #expect(second.resources == uncached.resources, "the same state as decoding everything")
        #expect(second.resources.first { $0.id.name == "main.silver.t7" }.map { "\($0.spec.canonical)" }?.contains("changed") == true)

        // A broken file's diagnostics come back from the cache too, positioned.
        try repo.write("manifests/t9.yaml", "apiVersion: reconcile/v1\nkind: Table\nmetadata: { name: x }\n")
        try repo.commit("broken")
        let broken = try render(repo, cache)
        let again = try render(repo, cache)
        #expect(cache.decoded == 202)
        #expect(!broken.diagnostics.isEmpty && broken.diagnostics == again.diagnostics && again.diagnostics.allSatisfy { $0.location?.path == "manifests/t9.yaml" })

        // Another environment file (new variables) decodes everything again: nothing stale.
        try repo.write("environments/dev.yaml", devEnvironment.replacingOccurrences(of: "catalog: main", with: "catalog: other"))
        try repo.commit("new catalog")
        let moved = try render(repo, cache)
        #expect(cache.decoded == 402)
        #expect(moved.resources.allSatisfy { !$0.id.name.hasPrefix("main.") })

        // A deleted file leaves the cache (it holds the last render's files only), and a
        // file back at that path with other bytes is decoded, never taken from the cache.
        try repo.directory.remove("manifests/t3.yaml")
        try repo.commit("one file gone")
        #expect(try render(repo, cache).resources == render(repo, nil).resources)
        #expect(!cache.decoded(path: "manifests/t3.yaml", blob: try #require(cache.blob(of: "manifests/t4.yaml"))))
        #expect(cache.count == 199, "bounded by the render's files")
        try repo.write("manifests/t3.yaml", table(3, comment: "back"))
        try repo.commit("back")
        let back = try render(repo, cache)
        #expect(back.resources.first { $0.id.name == "other.silver.t3" }.map { "\($0.spec.canonical)" }?.contains("back") == true)
        #expect(cache.decoded == 403 && cache.count == 200)
    }
}
