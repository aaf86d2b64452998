import Engine
import Foundation
import Model
import Service
import Testing

/// Every verb that changes an environment, or is refused, leaves one entry in its
/// store's audit trail, chained and forwarded (#15).
@Suite struct AuditTrailTests {
    let project = MemoryProject()

    init() {
        project.revisions["r1"] = ServiceTests.base + [Manifests.table("main.s.t", .long)]
        project.revisions["r2"] = ServiceTests.base + [Manifests.table("main.s.t", .integer)]
        project.revisions["r3"] = ServiceTests.base + [Manifests.table("main.s.t", .long), Manifests.catalog("sales")]
        project.head = "r1"
        project.environments["dev"] = Environment(name: "dev", target: .local(path: "memory"), policy: Policy(destructive: .deny))
        project.environments["prod"] = Environment(name: "prod", target: .local(path: "memory"), source: .revision("r1"), promotion: Promotion(from: "dev"))
    }

    func entries(_ environment: String) throws -> [[String: Any]] {
        try (project.stores[environment]?.auditTrail() ?? []).map { try #require(try JSONSerialization.jsonObject(with: Data($0.entry.utf8)) as? [String: Any]) }
    }

    @Test func appliesRefusalsOverridesPromotionsRollbacksAndReleasesAreRecorded() async throws {
        _ = try await Service(project).apply("dev", policy: .init())
        project.head = "r2"  // bigint → int: a replace, refused under destructive: deny
        await #expect(throws: ReconcileError.self) { try await Service(project).apply("dev", policy: .init()) }
        _ = try await Service(project).apply("dev", policy: .init(allowDestructive: true))
        project.head = "r3"
        _ = try await Service(project).apply("dev", policy: .init(allowDestructive: true))
        _ = try await Service(project).promote(from: "dev", to: "prod")
        _ = try await Service(project).rollback("dev", to: nil, steps: 1, apply: false, policy: .init())
        _ = try await Service(project).release("dev")

        let dev = try entries("dev")
        #expect(dev.map { $0["kind"] as? String } == ["apply", "refusal", "apply", "apply", "rollback", "release"])
        #expect((dev[1]["details"] as? [String: String])?["reasons"] == "destructiveDenied")
        #expect((dev[1]["details"] as? [String: String])?["changes"] == "Table/main.s.t")
        #expect((dev[2]["details"] as? [String: String])?["overrides"] == "--allow-destructive", "who let it through, and how")
        #expect(dev.allSatisfy { $0["actor"] as? String == "tester" && $0["environment"] as? String == "dev" })
        #expect((dev[0]["summary"] as? String)?.contains("apply of dev at r1 succeeded: 3 of 3 changes") == true, "\(dev[0])")
        let prod = try entries("prod")
        #expect(prod.map { $0["kind"] as? String } == ["promotion"] && prod[0]["revision"] as? String == "r3")
        #expect(AuditChain.verify(try project.stores["dev"]!.auditTrail()) == nil)
        #expect(project.forwarded.count == dev.count + prod.count, "each entry is handed on as it is written")
    }

    @Test func aPlanWritesNothingAndAnUnchangedRevisionIsNotRecordedTwice() async throws {
        _ = try await Service(project).plan("dev", policy: .init())
        #expect(project.stores["dev"] == nil)
        _ = try await Service(project).apply("dev", policy: .init())
        _ = try await Service(project).apply("dev", policy: .init())
        #expect(try entries("dev").count == 1)
    }
}
