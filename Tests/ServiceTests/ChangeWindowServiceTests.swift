import Foundation
import Model
import Service
import Testing

/// Change windows hold for apply, rollback and promote; an override goes through and
/// is recorded with who and why (#15).
@Suite struct ChangeWindowServiceTests {
    let project = MemoryProject()
    /// Saturday 2026-11-28 12:00 UTC, inside a Friday-night freeze.
    static let saturday = ISO8601DateFormatter().date(from: "2026-11-28T12:00:00Z")!

    init() throws {
        project.revisions["r1"] = ServiceTests.base
        project.revisions["r2"] = ServiceTests.base + [Manifests.catalog("sales")]
        project.head = "r1"
        let freeze = ChangeWindow(kind: .deny, schedule: "0 22 * * FRI", cron: try CronExpression(parsing: "0 22 * * FRI"), duration: 2 * 86400, timezone: "Europe/Berlin")
        var dev = Environment(name: "dev", target: .local(path: "memory"), policy: Policy(destructive: .allow))
        dev.windows = [freeze]
        var prod = Environment(name: "prod", target: .local(path: "memory"), source: .revision("r1"), promotion: Promotion(from: "dev", requires: []))
        prod.windows = [freeze]
        project.environments["dev"] = dev
        project.environments["prod"] = prod
    }

    func service(override: String? = nil, at date: Date = Self.saturday) -> Service {
        Service(project, windowOverride: override, clock: { date })
    }

    func kinds(_ environment: String) throws -> [String] {
        try (project.stores[environment]?.auditTrail() ?? []).compactMap {
            (try JSONSerialization.jsonObject(with: Data($0.entry.utf8)) as? [String: Any])?["kind"] as? String
        }
    }

    @Test func aClosedWindowRefusesTheApplyAndThePlanSaysWhenItOpens() async throws {
        let plan = try await service().plan("dev", policy: .init())
        #expect(plan.window?.open == false && plan.window?.next == ISO8601DateFormatter().date(from: "2026-11-29T21:00:00Z"))
        let error = await #expect(throws: ReconcileError.self) { try await service().apply("dev", policy: .init()) }
        #expect(error?.kind == .policyRefused)
        #expect(error?.message.contains("environment dev is in a closed change window (deny window \"0 22 * * FRI\" for 2d (Europe/Berlin)) until 2026-11-29T21:00:00Z; apply refused") == true, "\(error?.message ?? "")")
        #expect(project.targets["dev"]?.resources.isEmpty != false, "nothing was applied")
        #expect(try kinds("dev") == ["refusal"])

        // Thursday it is open.
        let thursday = ISO8601DateFormatter().date(from: "2026-11-26T12:00:00Z")!
        #expect(try await service(at: thursday).apply("dev", policy: .init()).report?.appliedCount == 2)
    }

    @Test func anOverrideGoesThroughOnceAndIsRecordedWithItsReason() async throws {
        let result = try await service(override: "hotfix INC-42").apply("dev", policy: .init())
        #expect(result.report?.appliedCount == 2)
        let trail = try project.stores["dev"]!.auditTrail()
        #expect(try kinds("dev") == ["override", "apply"])
        #expect(trail[0].entry.contains("hotfix INC-42") && trail[0].entry.contains("\"actor\":\"tester\""))
        #expect(project.warnings.contains { $0.contains("going through it as --override-window says") })
    }

    @Test func promoteAndAnApplyingRollbackAskTheWindowBeforeTheyPin() async throws {
        let thursday = ISO8601DateFormatter().date(from: "2026-11-26T12:00:00Z")!
        _ = try await service(at: thursday).apply("dev", policy: .init())
        project.head = "r2"
        _ = try await service(at: thursday).apply("dev", policy: .init())
        await #expect(throws: ReconcileError.self) { try await service().promote(from: "dev", to: "prod") }
        #expect(project.commits.isEmpty, "no pin written in a closed window")
        #expect(try kinds("prod") == ["refusal"])
        await #expect(throws: ReconcileError.self) { try await service().rollback("dev", to: nil, steps: 1, apply: true, policy: .init()) }
        #expect(project.commits.isEmpty)
        _ = try await service(override: "tested on staging").promote(from: "dev", to: "prod")
        let prodKinds = try kinds("prod")
        #expect(project.commits.count == 1 && prodKinds == ["refusal", "override", "promotion"])
    }
}
