import Foundation
import Loading
import Model
import Testing
import TestSupport
import Workspace

/// What `watch` keeps between revisions gives the same source as reading afresh (#16).
@Suite struct LoadCacheTests {
    @Test func aNewRevisionReadThroughTheCacheIsTheRevisionReadAfresh() throws {
        let repo = try GitFixture()
        try repo.write("environments/dev.yaml", "apiVersion: reconcile/v1\nkind: Environment\nmetadata: { name: dev }\nspec:\n  target: { type: local, path: .lakehouse/dev }\n")
        for index in 0..<20 { try repo.write("manifests/t\(index).yaml", "apiVersion: reconcile/v1\nkind: Catalog\nmetadata: { name: c\(index) }\n") }
        try repo.commit("one")
        let cache = LoadCache()
        _ = try Workspace(ReadOptions(repo: repo.url.path), cache: cache)
        #expect(cache.knownBytes().count == 21, "every file's bytes kept by blob id")

        try repo.write("manifests/t3.yaml", "apiVersion: reconcile/v1\nkind: Catalog\nmetadata: { name: changed }\n")
        try FileManager.default.removeItem(at: repo.url.appendingPathComponent("manifests/t4.yaml"))
        try repo.write("manifests/new.yaml", "apiVersion: reconcile/v1\nkind: Catalog\nmetadata: { name: added }\n")
        try repo.commit("two")
        let cached = try Workspace(ReadOptions(repo: repo.url.path), cache: cache).source
        let fresh = try Workspace(ReadOptions(repo: repo.url.path)).source
        #expect(cached.files.map(\.path) == fresh.files.map(\.path))
        #expect(cached.files.map(\.bytes) == fresh.files.map(\.bytes))
        #expect(cached.files.map(\.blob) == fresh.files.map(\.blob))
        #expect(cache.knownBytes().count == 21, "the last revision's, not every revision's")

        // Over the byte budget nothing is kept: memory stays bounded however large the revision.
        let small = LoadCache(maxKeptBytes: 100)
        _ = try Workspace(ReadOptions(repo: repo.url.path), cache: small)
        #expect(small.knownBytes().isEmpty)
    }
}
