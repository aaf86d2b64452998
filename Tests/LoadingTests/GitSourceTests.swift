import Testing
import Foundation
import GitStore
import TestSupport
@testable import Loading

@Suite struct GitSourceTests {
    @Test func readsManifestsAtAnyRevisionWithoutCheckout() throws {
        let repo = try GitFixture()
        try repo.write("environments/dev.yaml", devEnvironment)
        try repo.write("manifests/a/b/orders.yaml", goodTable)
        try repo.write("README.md", "not a manifest")
        try repo.write("manifests/notes.txt", "not yaml")
        let first = try repo.commit("first")
        try repo.write("manifests/c.yml", "kind: Catalog\n")
        let second = try repo.commit("second")
        try repo.write("manifests/uncommitted.yaml", "x: 1\n")

        let repository = try Repository(discoveringFrom: repo.url.appendingPathComponent("manifests").path)
        let head = try SourceSet.read(from: repository, revision: "HEAD")
        #expect(head.revision == second)
        #expect(head.files.map(\.path) == ["environments/dev.yaml", "manifests/a/b/orders.yaml", "manifests/c.yml"])
        let previous = try SourceSet.read(from: repository, revision: "HEAD~1")
        #expect(previous.revision == first)
        #expect(previous.files.map(\.path) == ["environments/dev.yaml", "manifests/a/b/orders.yaml"])
        #expect(try SourceSet.read(from: repository, revision: String(first.prefix(8))).revision == first)
        try repo.git("tag", "v1", first)
        #expect(try SourceSet.read(from: repository, revision: "v1").revision == first)
        #expect(String(decoding: previous.files[1].bytes, as: UTF8.self) == goodTable)

        let worktree = try SourceSet.readWorktree(root: repository.workdir!)
        #expect(worktree.files.map(\.path).contains("manifests/uncommitted.yaml"))
        #expect(worktree.revision == "worktree")
    }

    @Test func unknownRevisionAndMissingRepositoryAreErrors() throws {
        let repo = try GitFixture()
        try repo.write("manifests/x.yaml", "a: 1\n")
        try repo.commit("one")
        let repository = try Repository(at: repo.url.path)
        #expect {
            try SourceSet.read(from: repository, revision: "no-such-branch")
        } throws: { error in
            (error as! GitError).call.contains("no-such-branch")
        }
        let empty = try TemporaryDirectory()
        #expect(throws: GitError.self) { try Repository(discoveringFrom: empty.url.path) }
    }
}
