import Foundation
import Model
import Service
import Testing

/// The signature requirement as the service applies it: checked before anything is
/// changed, remembered by the audit trail so an unsigned revision cannot drop it (#15).
@Suite struct SignedRevisionServiceTests {
    let project = MemoryProject()

    init() {
        project.revisions["r1"] = ServiceTests.base
        project.revisions["r2"] = ServiceTests.base + [Manifests.catalog("sales")]
        project.revisions["r3"] = ServiceTests.base + [Manifests.catalog("sales"), Manifests.catalog("hr")]
        project.head = "r1"
        var policy = Policy()
        policy.signedCommits = SignedCommits(allowedSigners: "/etc/reconcile/allowed_signers")
        project.environments["dev"] = Environment(name: "dev", target: .local(path: "memory"), policy: policy)
    }

    @Test func unsignedRevisionsAreRefusedBeforeAnyChangeAndTheRequirementOutlivesItsRemoval() async throws {
        await #expect(throws: ReconcileError.self) { try await Service(project).apply("dev", policy: .init()) }
        #expect(project.targets["dev"]?.resources.isEmpty != false)
        project.signed["r1"] = "alice (SSH)"
        _ = try await Service(project).apply("dev", policy: .init())
        #expect(project.stores["dev"]!.audit.last?.entry.contains("\"signedBy\":\"alice (SSH)\"") == true)

        // r2 drops the requirement but is unsigned: the last apply's requirement holds.
        project.environments["dev"]?.policy.signedCommits = nil
        project.head = "r2"
        let error = await #expect(throws: ReconcileError.self) { try await Service(project).apply("dev", policy: .init()) }
        #expect(error?.message.contains("only a signed commit can lift the requirement") == true, "\(error?.message ?? "")")
        project.signed["r2"] = "alice (SSH)"
        _ = try await Service(project).apply("dev", policy: .init())
        project.head = "r3"
        #expect(try await Service(project).apply("dev", policy: .init()).report?.appliedCount == 1, "lifted by a signed revision")
    }
}
