import Foundation
import Testing
import Model
import Engine

/// Promotion gates and rollback selection, decided without a repository or a target.
@Suite struct PromotionGatesTests {
    let now = Date(timeIntervalSince1970: 1_000_000)

    func environment(promotion: Promotion?) -> Environment {
        Environment(name: "prod", target: .local(path: ".lakehouse/prod"), promotion: promotion)
    }

    func record(_ revision: String, outcome: ApplyRecord.Outcome = .succeeded, finished: TimeInterval = 0, id: Int = 1) -> ApplyRecord {
        ApplyRecord(id: id, environment: "staging", revision: revision, planDigest: "", actor: "ana", kind: .apply,
                    startedAt: now.addingTimeInterval(finished - 1), finishedAt: now.addingTimeInterval(finished), outcome: outcome, changes: [])
    }

    func facts(last: ApplyRecord?, hold: Hold? = nil, pending: [ResourceID]? = [], drifted: [ResourceID]? = []) -> PromotionGates.Facts {
        PromotionGates.Facts(hold: hold, lastApply: last, pending: pending, sourceRevision: "abc1234", drifted: drifted, now: now)
    }

    @Test func gatesRefuseInTheOrderAPersonFixesThem() {
        let flag = ResourceID(.featureFlag, "f")
        let prod = environment(promotion: Promotion(from: "staging", soak: 3600))
        #expect(PromotionGates.evaluate(from: "staging", to: environment(promotion: nil), facts: facts(last: nil)) == .failure(.noPromotion))
        #expect(PromotionGates.evaluate(from: "dev", to: prod, facts: facts(last: nil)) == .failure(.promotesFrom("staging")))
        let hold = Hold(environment: "prod", reason: "rolled back", revision: "r", actor: "ana", since: now)
        #expect(PromotionGates.evaluate(from: "staging", to: prod, facts: facts(last: record("r1"), hold: hold)) == .failure(.held(hold)))
        #expect(PromotionGates.evaluate(from: "staging", to: prod, facts: facts(last: nil)) == .failure(.neverApplied))
        #expect(PromotionGates.evaluate(from: "staging", to: prod, facts: facts(last: record("r1"), pending: [flag], drifted: [flag]))
                == .failure(.pending(count: 1, sourceRevision: "abc1234")))
        #expect(PromotionGates.evaluate(from: "staging", to: prod, facts: facts(last: record("r1"), drifted: [flag])) == .failure(.drifted(revision: "r1", resources: [flag])))
        guard case .failure(.soaking(let revision, let soaked, let required, _)) = PromotionGates.evaluate(from: "staging", to: prod, facts: facts(last: record("r1", finished: -600))) else {
            Issue.record("an apply 10 minutes old has not soaked an hour")
            return
        }
        #expect(revision == "r1" && soaked == 600 && required == 3600)
        #expect(PromotionGates.evaluate(from: "staging", to: prod, facts: facts(last: record("r1", finished: -3600))) == .success("r1"))
    }

    @Test func onlyTheGatesAskedForAreChecked() {
        let flag = ResourceID(.featureFlag, "f")
        let lenient = environment(promotion: Promotion(from: "staging", requires: []))
        #expect(PromotionGates.needs(lenient).isEmpty)
        #expect(PromotionGates.evaluate(from: "staging", to: lenient, facts: facts(last: record("r2"), pending: [flag], drifted: [flag])) == .success("r2"))
        #expect(PromotionGates.needs(environment(promotion: Promotion(from: "staging"))) == [.applied, .noDrift])
    }

    @Test func rollbackGoesBackByStepsOrToAnAppliedRevision() throws {
        let history = [record("r3", id: 5), record("r3", id: 4), record("bad", outcome: .failed, id: 3), record("r2", id: 2), record("r1", id: 1)]
        #expect(RollbackSelection.appliedRevisions(history) == ["r3", "r2", "r1"])
        let oneBack = try RollbackSelection.select(history, to: nil, steps: nil).get()
        #expect(oneBack.current == "r3" && oneBack.wanted == "r2")
        let twoBack = try RollbackSelection.select(history, to: nil, steps: 2).get()
        #expect(twoBack.current == "r3" && twoBack.wanted == "r1")
        let toR1 = try RollbackSelection.select(history, to: "r1", steps: nil).get()
        #expect(toR1.current == "r3" && toR1.wanted == "r1")
        #expect(RollbackSelection.select(history, to: nil, steps: 3).failure == .tooFew(earlier: 2, steps: 3))
        #expect(RollbackSelection.select(history, to: "bad", steps: nil).failure == .notApplied(revision: "bad", current: "r3", earlier: ["r2", "r1"]))
        #expect(RollbackSelection.select(history, to: "r3", steps: nil).failure == .notApplied(revision: "r3", current: "r3", earlier: ["r2", "r1"]), "the current revision is no rollback")
        #expect(RollbackSelection.select([record("x", outcome: .failed)], to: nil, steps: nil).failure == .nothingApplied)
    }
}

extension Result {
    var failure: Failure? { if case .failure(let error) = self { return error }; return nil }
}
