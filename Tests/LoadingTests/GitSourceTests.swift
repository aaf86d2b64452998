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

    /// From 64 files, blobs are read on every core through handles of their own: every
    /// file comes back whole, in path order, with its blob id; listed-only ones stay
    /// empty and marked; a symbolic link is still one; a packed repository reads the same.
    @Test func manyFilesAreReadInParallelWhole() throws {
        let repo = try GitFixture()
        try repo.write("environments/dev.yaml", devEnvironment)
        for index in 0..<700 { try repo.write("manifests/s\(index % 7)/t\(index).yaml", "# table \(index)\n" + String(repeating: "x", count: index)) }
        try FileManager.default.createSymbolicLink(atPath: repo.url.appendingPathComponent("manifests/link.yaml").path, withDestinationPath: "s0/t0.yaml")
        try repo.commit("many")
        let repository = try Repository(at: repo.url.path)
        // path -> blob id, as git lists them.
        let listed = Dictionary(uniqueKeysWithValues: try repo.git("ls-tree", "-r", "HEAD").split(separator: "\n").map { line in
            let fields = line.split(separator: "\t")
            return (String(fields[1]), String(fields[0].split(separator: " ")[2]))
        })
        for packed in [false, true] {
            if packed { try repo.git("gc", "-q") }
            let source = try SourceSet.read(from: repository, revision: "HEAD") { path, _ in path.hasSuffix("/t3.yaml") }
            #expect(source.files.count == 702)
            #expect(source.files.map(\.path) == source.files.map(\.path).sorted())
            for file in source.files where file.path.hasPrefix("manifests/s") {
                let index = Int(file.path.split(separator: "/t").last!.dropLast(5))!
                if index == 3 {
                    #expect(file.omitted && file.bytes.isEmpty, "a skipped file is listed, not read")
                } else {
                    #expect(String(decoding: file.bytes, as: UTF8.self) == "# table \(index)\n" + String(repeating: "x", count: index), "\(file.path)")
                }
                #expect(file.blob == listed[file.path])
            }
            let link = try #require(source.files.first { $0.path == "manifests/link.yaml" })
            #expect(link.isSymbolicLink && !link.omitted)
        }
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

/// Git credentials travel only over https and are never stored in the mirror (#17).
@Suite struct GitCredentialTests {
    @Test func aTokenGoesOnlyOverHTTPSOrToThisHost() {
        #expect(Mirror.mayCarryToken("https://git.example.com/team/lake.git"))
        #expect(Mirror.mayCarryToken("http://127.0.0.1:8080/lake.git"))
        #expect(!Mirror.mayCarryToken("http://git.example.com/team/lake.git"))
        #expect(!Mirror.mayCarryToken("git://git.example.com/team/lake.git"))
    }

    @Test func credentialsInTheURLOrATokenOverPlainHTTPAreRefused() {
        #expect(Mirror.credentialProblem(url: "https://bot:ghp_secret@github.com/team/lake.git", token: nil)?.contains("stored in the mirror's git config") == true)
        #expect(Mirror.credentialProblem(url: "https://bot@github.com/team/lake.git", token: nil) != nil, "a user alone is refused too: a token may follow it")
        #expect(Mirror.credentialProblem(url: "http://git.example.com/lake.git", token: "t")?.contains("only over https") == true)
        #expect(Mirror.credentialProblem(url: "http://git.example.com/lake.git", token: nil) == nil, "a public repository over http needs no token")
        #expect(Mirror.credentialProblem(url: "https://github.com/team/lake.git", token: "t") == nil)
        #expect(Mirror.credentialProblem(url: "git://127.0.0.1/lake.git", token: "t") == nil)
        #expect(Mirror.credentialProblem(url: "/srv/git/lake.git", token: "t") == nil)
    }
}

/// Processes sharing a mirror fetch one at a time, and a wait is bounded (#16).
@Suite struct MirrorLockTests {
    @Test func aFetchWaitsForAnotherProcessAndGivesUpAfterItsTimeout() throws {
        let repo = try GitFixture()
        try repo.write("manifests/a.yaml", "a: 1\n")
        try repo.commit("one")
        let cache = try TemporaryDirectory()
        let mirror = cache.url.appendingPathComponent("m.git").path
        _ = try Mirror.sync(url: repo.url.path, into: mirror)

        // Another holder of the lock (flock locks belong to an open file, so a second
        // open in this process stands in for another process).
        let holder = open(mirror + "/reconcile-fetch.lock", O_RDWR)
        #expect(holder >= 0 && flock(holder, LOCK_EX) == 0)
        let started = Date()
        #expect {
            try Mirror.sync(url: repo.url.path, into: mirror, lockTimeout: 0.5)
        } throws: { error in
            (error as? GitError)?.message.contains("another process has been fetching into \(mirror)") == true
        }
        #expect(Date().timeIntervalSince(started) < 5, "bounded")
        flock(holder, LOCK_UN)
        close(holder)
        try repo.write("manifests/a.yaml", "a: 2\n")
        let second = try repo.commit("two")
        let synced = try Mirror.sync(url: repo.url.path, into: mirror, lockTimeout: 0.5)
        #expect(try synced.resolve("HEAD").id.hex == second, "free again: the fetch runs")
    }
}

/// A long-running process reads from git only the blobs a new revision changed (#16).
@Suite struct KnownBlobTests {
    @Test func skippedManifestsAreListedNotReadAndEnvironmentFilesAlwaysRead() throws {
        let repo = try GitFixture()
        try repo.write("environments/dev.yaml", "kind: Environment\n")
        try repo.write("manifests/a.yaml", "a: 1\n")
        try repo.write("manifests/b.yaml", "b: 1\n")
        try repo.commit("one")
        let repository = try Repository(at: repo.url.path)
        let first = try SourceSet.read(from: repository, revision: "HEAD")
        let a = try #require(first.file("manifests/a.yaml")?.blob)
        try repo.write("manifests/b.yaml", "b: 2\n")
        try repo.commit("two")
        var asked: [String] = []
        let second = try SourceSet.read(from: repository, revision: "HEAD") { path, blob in
            asked.append(path)
            return blob == a || path.hasPrefix("environments/")
        }
        let skipped = try #require(second.file("manifests/a.yaml"))
        #expect(skipped.omitted && skipped.bytes.isEmpty && skipped.blob == a, "listed with its blob id, not read")
        #expect(second.file("manifests/b.yaml")?.bytes == Array("b: 2\n".utf8) && second.file("manifests/b.yaml")?.omitted == false)
        #expect(second.file("environments/dev.yaml")?.bytes == Array("kind: Environment\n".utf8), "environment files are always read")
        #expect(Set(asked) == ["manifests/a.yaml", "manifests/b.yaml"], "only manifests may be skipped: \(asked)")
    }
}

/// A mirror that fetches for days does not pile up one pack per fetch (#16).
@Suite struct MirrorCompactionTests {
    private func packs(_ mirror: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: mirror + "/objects/pack")) ?? [])
            .filter { $0.hasSuffix(".pack") }
    }

    @Test func packsAreCompactedAndEveryRevisionStaysReadable() throws {
        let repo = try GitFixture()
        let cache = try TemporaryDirectory()
        let mirror = cache.url.appendingPathComponent("m.git").path
        var commits: [String] = []
        try repo.write("manifests/a.yaml", "a: 0\n")
        commits.append(try repo.commit("zero"))
        _ = try repo.git("tag", "-a", "v0", "-m", "first release")
        _ = try Mirror.sync(url: repo.url.path, into: mirror, compactAbove: 3)
        let early = try Repository(at: mirror)
        #expect(try early.blobs(at: early.resolve(commits[0]), descend: { _ in true }, include: { $0.hasPrefix("manifests/") }).first?.bytes == Array("a: 0\n".utf8))

        // A revision that a force-push takes off every branch (history may still name it).
        try repo.write("manifests/a.yaml", "a: abandoned\n")
        let abandoned = try repo.commit("abandoned")
        _ = try Mirror.sync(url: repo.url.path, into: mirror, compactAbove: 3)
        _ = try repo.git("reset", "--hard", commits[0])

        var most = 0
        for index in 1...8 {
            try repo.write("manifests/a.yaml", "a: \(index)\n")
            try repo.write("manifests/b\(index).yaml", "b: \(index)\n")
            commits.append(try repo.commit("change \(index)"))
            _ = try Mirror.sync(url: repo.url.path, into: mirror, compactAbove: 3)
            most = max(most, packs(mirror).count)
        }
        #expect(most <= 4, "compacted whenever more than 3 packs: at most \(most)")
        #expect(packs(mirror).count < 10, "eight fetches did not leave eight packs")

        let fresh = try Repository(at: mirror)
        for (index, hex) in commits.enumerated() {
            let files = try fresh.blobs(at: fresh.resolve(hex), descend: { _ in true }, include: { $0.hasPrefix("manifests/") })
            #expect(files.first { $0.path == "manifests/a.yaml" }?.bytes == Array("a: \(index)\n".utf8), "revision \(index)")
        }
        #expect(try fresh.resolve(abandoned).id.hex == abandoned, "objects off every branch are kept, not collected")
        #expect(try fresh.resolve("v0").id.hex == commits[0], "the annotated tag survives")
        #expect(try early.blobs(at: early.resolve(commits[5]), descend: { _ in true }, include: { $0.hasPrefix("manifests/") }).count == 6,
                "a handle opened before compaction reads objects that now live only in the new pack")
        #expect(try early.blobs(at: early.resolve(commits[0]), descend: { _ in true }, include: { $0.hasPrefix("manifests/") }).count == 1)
    }
}

/// A project's identity to a shared store is the first commit of its history (#16).
@Suite struct FirstCommitTests {
    @Test func theFirstCommitIsFoundInEveryFullCloneAndAShallowOneSaysSo() throws {
        let repo = try GitFixture()
        try repo.write("a.yaml", "a: 1\n")
        let first = try repo.commit("one")
        for index in 2...4 {
            try repo.write("a.yaml", "a: \(index)\n")
            try repo.commit("change \(index)")
        }
        // Another history merged in: first parents still lead to this one's first commit.
        _ = try repo.git("checkout", "-q", "--orphan", "other")
        try repo.write("b.yaml", "b: 1\n")
        try repo.commit("unrelated")
        _ = try repo.git("checkout", "-q", "main")
        _ = try repo.git("merge", "-q", "--allow-unrelated-histories", "-m", "merge", "other")
        let head = try repo.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try Repository(at: repo.url.path).firstParentRoot(of: head) == first)

        let clones = try TemporaryDirectory()
        let full = clones.url.appendingPathComponent("full").path, shallow = clones.url.appendingPathComponent("shallow").path
        _ = try Shell.check("git", ["clone", "-q", repo.url.path, full])
        #expect(try Repository(at: full).firstParentRoot(of: head) == first, "the same in every clone")

        // Commits this process has not walked yet (answers are kept by commit id).
        let other = try GitFixture()
        for index in 1...3 {
            try other.write("c.yaml", "c: \(index)\n")
            try other.commit("c \(index)")
        }
        _ = try Shell.check("git", ["clone", "-q", "--depth", "2", "file://" + other.url.path, shallow])
        let shallowHead = try other.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect {
            try Repository(at: shallow).firstParentRoot(of: shallowHead)
        } throws: { error in
            (error as? GitError)?.message.contains("this is a shallow clone") == true
        }
    }
}
