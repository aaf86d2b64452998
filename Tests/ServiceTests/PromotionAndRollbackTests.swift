import Foundation
import Model
import Service
import Testing

/// Promote, rollback and release over a project in memory.
@Suite struct PromotionAndRollbackTests {
    let project = MemoryProject()

    init() {
        project.revisions["r1"] = ServiceTests.base
        project.revisions["r2"] = ServiceTests.base + [Manifests.catalog("sales")]
        project.head = "r1"
        project.environments["dev"] = Environment(name: "dev", target: .local(path: "memory"), policy: Policy(destructive: .allow))
        project.environments["prod"] = Environment(name: "prod", target: .local(path: "memory"), policy: Policy(destructive: .deny),
                                                   source: .revision("r1"), promotion: Promotion(from: "dev"))
    }

    @Test func promotePinsWhatTheSourceAppliedAfterShowingThePlan() async throws {
        _ = try await Service(project).apply("dev", policy: .init())
        project.head = "r2"
        _ = try await Service(project).apply("dev", policy: .init())
        var planned: [Plan] = []
        let result = try await Service(project).promote(from: "dev", to: "prod") { event in
            if case .planned(let plan, _) = event { planned.append(plan) }
        }
        #expect(result == .promoted(revision: "r2", commit: "c1"))
        #expect(planned.count == 1 && planned[0].revision == "r2" && planned[0].changes.count == 3, "prod's plan at r2, before the pin")
        #expect(project.commits.map(\.source) == [.revision("r2")])
        #expect(try await Service(project).promote(from: "dev", to: "prod") == .alreadyPinned(revision: "r2"))
    }

    @Test func aClosedGateRefusesTypedAndWritesNothing() async throws {
        let neverApplied = await #expect(throws: ReconcileError.self) { try await Service(project).promote(from: "dev", to: "prod") }
        #expect(neverApplied?.kind == .policyRefused)
        _ = try await Service(project).apply("dev", policy: .init())
        project.head = "r2"  // dev's source now says more than it applied
        let pending = await #expect(throws: ReconcileError.self) { try await Service(project).promote(from: "dev", to: "prod") }
        #expect(pending?.kind == .policyRefused)
        #expect(pending?.message.contains("gate applied") == true)
        let wrongSource = await #expect(throws: ReconcileError.self) { try await Service(project).promote(from: "prod", to: "dev") }
        #expect(wrongSource?.kind == .invalid)
        #expect(project.commits.isEmpty)
    }

    @Test func rollbackPinsHoldsAndKeepsDataThenReleaseRestores() async throws {
        _ = try await Service(project).apply("dev", policy: .init())
        project.head = "r2"
        _ = try await Service(project).apply("dev", policy: .init())
        var pins: [RollbackPin] = []
        let result = try await Service(project).rollback("dev", to: nil, steps: 1, apply: true, policy: .init(), control: ApplyControl(events: { event in
            if case .pinned(let pin) = event { pins.append(pin) }
        }))
        #expect(pins.map(\.to) == ["r1"] && pins.first?.from == "r2" && pins.first?.commit == "c1")
        #expect(pins.first?.replaced == .current && pins.first?.followed == .current)
        #expect(result.plan.changes.isEmpty, "the catalog r1 lacks stays: rollback keeps data")
        #expect(result.plan.notices.count == 1)
        #expect(project.targets["dev"]!.resources[ResourceID(.catalog, "sales")] != nil)
        let hold = try #require(try project.stores["dev"]!.hold("dev"))
        #expect(hold.revision == "r1" && hold.followed == .current)
        // Promotion out of a held environment is fine; into it is held. Release restores.
        let released = try await Service(project).release("dev")
        guard case .released(_, let restored, let pinMoved) = released else { Issue.record("not released"); return }
        #expect(restored?.source == .current && !pinMoved)
        #expect(project.environments["dev"]!.source == .current)
        #expect(try await Service(project).release("dev") == .notHeld)
    }

    @Test func rollbackToARevisionNeverAppliedIsRefused() async throws {
        _ = try await Service(project).apply("dev", policy: .init())
        let error = await #expect(throws: ReconcileError.self) { try await Service(project).rollback("dev", to: "r2", steps: nil, apply: false, policy: .init()) }
        #expect(error?.kind == .invalid)
        #expect(project.commits.isEmpty)
    }
}
