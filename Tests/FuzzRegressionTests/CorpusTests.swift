import Foundation
import FuzzTargets
import Testing
import TestSupport

/// Every input of the fuzz corpus (`Tests/Fuzz/corpus/<target>/`), the reproduced bad
/// inputs of #17 among them, run through its target: each returns within seconds. A
/// crash would end this test process, which fails the run.
@Suite struct CorpusTests {
    static let corpus = Paths.packageRoot.appendingPathComponent("Tests/Fuzz/corpus")

    static var inputs: [String] {
        FuzzTargets.all.keys.sorted().flatMap { target in
            ((try? FileManager.default.contentsOfDirectory(atPath: corpus.appendingPathComponent(target).path)) ?? []).sorted().map { "\(target)/\($0)" }
        }
    }

    @Test func everyTargetHasACorpus() {
        for target in FuzzTargets.all.keys.sorted() {
            #expect(Self.inputs.contains { $0.hasPrefix(target + "/") }, "no corpus for \(target)")
        }
    }

    @Test(arguments: inputs) func runsWithinBounds(_ input: String) throws {
        let target = try #require(FuzzTargets.all[String(input.split(separator: "/")[0])])
        let bytes = Array(try Data(contentsOf: Self.corpus.appendingPathComponent(input)))
        let started = Date()
        target(bytes)
        #expect(Date().timeIntervalSince(started) < 10, "\(input) took \(Date().timeIntervalSince(started)) s")
    }
}
