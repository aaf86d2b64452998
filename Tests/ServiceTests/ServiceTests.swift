import Foundation
import Model
import Service
import TestSupport
import Testing

/// The verbs over a project, target and store in memory: no git, no files, no processes.
@Suite struct ServiceTests {
    let project = MemoryProject()

    static let base = [Manifests.catalog("main"), Resource(id: ResourceID(.schema, "main.s"), spec: .schema(NamespaceSpec()))]

    init() {
        project.revisions["r1"] = Self.base + [Manifests.table("main.s.t", .long)]
        project.head = "r1"
        project.environments["dev"] = Environment(name: "dev", target: .local(path: "memory"), policy: Policy(destructive: .deny))
    }

    @Test func applyCreatesRecordsAndConverges() async throws {
        let service = Service(project)
        let result = try await service.apply("dev", policy: .init())
        #expect(result.plan.changes.count == 3)
        #expect(result.report?.appliedCount == 3 && result.failure == nil)
        await #expect(try project.stores["dev"]!.lastSuccessfulApply("dev")?.revision == "r1")
        #expect(try await Service(project).plan("dev", policy: .init()).hasChanges == false, "the next plan is empty")
        #expect(project.stores["dev"]!.locks.isEmpty, "the lock is released")
    }

    @Test func oneTargetAndOneStorePerEnvironmentRun() async throws {
        let service = Service(project)
        _ = try await service.apply("dev", policy: .init())
        _ = try await service.drift("dev", policy: .init())
        _ = try await service.plan("dev", policy: .init())
        #expect(project.targetsMade == 1, "plan, apply and drift observe through one target")
        #expect(project.targets["dev"]!.observations == 3)
    }

    @Test func aRefusedChangeStopsTheWholeApplyTyped() async throws {
        _ = try await Service(project).apply("dev", policy: .init())
        // Narrowing bigint to int cannot be done in place: replace, destructive, denied.
        project.revisions["r2"] = Self.base + [Manifests.table("main.s.t", .integer), Manifests.catalog("other")]
        project.head = "r2"
        let before = project.targets["dev"]!.resources
        let error = await #expect(throws: ReconcileError.self) { try await Service(project).apply("dev", policy: .init()) }
        #expect(error?.kind == .policyRefused)
        #expect(project.targets["dev"]!.resources == before, "nothing was applied, not even the allowed create")
        #expect(error?.diagnostics.last?.message.contains("apply refused: 1 change") == true)
    }

    @Test func aLiveHolderLocksTheEnvironment() async throws {
        let store = try #require(try project.store(for: project.environment("dev"), create: true) as? MemoryStateStore)
        let pid = getpid()
        store.locks["dev"] = LockInfo(owner: "other", pid: pid, host: ProcessInfo.processInfo.hostName,
                                      processStart: Self.startTime(pid), since: Date(), command: "apply",
                                      pidNamespace: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid")) ?? "")
        let error = await #expect(throws: ReconcileError.self) { try await Service(project).apply("dev", policy: .init()) }
        #expect(error?.kind == .locked)
        #expect(project.targets["dev"]?.resources.isEmpty != false)
        await #expect(throws: ReconcileError.self) { try await Service(project).unlock("dev", force: true) }
    }

    @Test func unlockRemovesTheLockOfAProcessThatIsGone() async throws {
        let store = try #require(try project.store(for: project.environment("dev"), create: true) as? MemoryStateStore)
        let gone = LockInfo(owner: "other", pid: 4_194_000, host: ProcessInfo.processInfo.hostName, processStart: "1", since: Date(),
                            command: "apply", pidNamespace: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid")) ?? "")
        store.locks["dev"] = gone
        await #expect(try Service(project).unlock("dev", force: false) == .unlocked(gone))
        await #expect(try Service(project).unlock("dev", force: false) == .notLocked)
    }

    @Test func healRestoresWhatPolicyAllowsAndReturnsTheRest() async throws {
        _ = try await Service(project).apply("dev", policy: .init())
        let target = project.targets["dev"]!
        target.resources[ResourceID(.catalog, "main")]!.spec = .catalog(NamespaceSpec(comment: "edited by hand"))
        target.resources[ResourceID(.table, "main.s.t")]!.spec = .table(TableSpec(columns: [Column(name: "id", type: .string)]))
        let drift = try await Service(project).drift("dev", policy: .init())
        #expect(drift.plan.changes.count == 2)
        let healed = try await Service(project).heal("dev", policy: .init())
        #expect(healed.report?.appliedCount == 1, "the comment is restored")
        #expect(healed.refused.map(\.id) == [ResourceID(.table, "main.s.t")], "string back to bigint replaces the table: destructive, refused")
        #expect(healed.remaining == 1)
        #expect(target.resources[ResourceID(.catalog, "main")]!.spec == .catalog(NamespaceSpec()))
        #expect(try project.stores["dev"]!.history("dev", limit: 5).first?.kind == .heal)
    }

    @Test func aFailedChangeIsATargetErrorWithTheChangeNamed() async throws {
        project.targets["dev"] = MemoryTarget()
        project.targets["dev"]!.failing = ResourceID(.table, "main.s.t")
        let result = try await Service(project).apply("dev", policy: .init())
        #expect(result.report?.appliedCount == 2)
        #expect(result.failure?.kind == .target)
        #expect(result.failure?.diagnostics.first?.message.hasPrefix("Table/main.s.t: ") == true)
    }

    @Test func applyingTheWorktreeNeedsTheEnvironmentsConsent() async throws {
        project.readsWorktree = true
        let error = await #expect(throws: ReconcileError.self) { try await Service(project).apply("dev", policy: .init()) }
        #expect(error?.kind == .invalid)
        #expect(project.stores["dev"] == nil, "refused before any store or lock")
    }

    static func startTime(_ pid: Int32) -> String {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        guard let close = stat.lastIndex(of: ")") else { return "" }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? String(fields[19]) : ""
    }
}
