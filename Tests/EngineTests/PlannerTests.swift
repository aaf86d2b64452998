import Synchronization
import Testing
import TestSupport
import Model
import Rendering
@testable import Engine

@Suite struct PlannerTests {
    @Test func createsRunInDependencyOrderWhateverTheInputOrder() async {
        let desired = [
            Fixture.table("main.b.t2", Fixture.orders), Fixture.schema("main.b"), Fixture.table("main.a.t1", Fixture.orders),
            Fixture.catalog("main"), Fixture.schema("main.a"),
        ]
        let plan = Planner.plan(Fixture.input(desired: desired, observed: []))
        #expect(plan.changes.map(\.id.description) == [
            "Catalog/main", "Schema/main.a", "Schema/main.b", "Table/main.a.t1", "Table/main.b.t2",
        ])
        #expect(plan.changes.allSatisfy { $0.action == .create })
    }

    @Test func deletesRunAfterCreatesInReverseOrder() async {
        let observed = [Fixture.catalog("old"), Fixture.schema("old.s"), Fixture.table("old.s.t", Fixture.orders, hasData: false)]
        let plan = Planner.plan(Fixture.input(desired: [Fixture.catalog("main")], observed: observed, inventory: Set(observed.map(\.id))))
        #expect(plan.changes.map(\.id.description) == ["Catalog/main", "Table/old.s.t", "Schema/old.s", "Catalog/old"])
        #expect(plan.changes.dropFirst().allSatisfy { $0.action == .delete && $0.isDestructive })
    }

    @Test func onlyInventoryIsPruned() async {
        let observed = [Fixture.catalog("main"), Fixture.schema("main.s"),
                        Fixture.table("main.s.ours", Fixture.orders), Fixture.table("main.s.theirs", Fixture.orders)]
        let plan = Planner.plan(Fixture.input(desired: [Fixture.catalog("main"), Fixture.schema("main.s")], observed: observed,
                                              inventory: [ResourceID(.catalog, "main"), ResourceID(.schema, "main.s"), ResourceID(.table, "main.s.ours")]))
        #expect(plan.changes.map(\.id.description) == ["Table/main.s.ours"])
        #expect(plan.unmanaged == [ResourceID(.table, "main.s.theirs")])
        #expect(plan.unchanged.count == 2)
    }

    @Test func anExistingResourceTheEnvironmentDidNotCreateIsAdoptedNeverReplaced() async {
        let existing = Fixture.table("main.s.t", Fixture.orders, hasData: true)
        let identical = Planner.plan(Fixture.input(desired: [Fixture.table("main.s.t", Fixture.orders)], observed: [existing], inventory: []))
        let adopt = try! #require(identical.changes.first)
        #expect(adopt.adopts && adopt.action == .update && adopt.fields.isEmpty && adopt.isMetadataOnly, "recorded, the target untouched")
        #expect(identical.adoptions == 1 && identical.count(.update) == 0)
        #expect(PlanRenderer.render(identical, as: .human).contains("<= Table/main.s.t  (adopt: exists, not created by this environment)"))
        #expect(PlanRenderer.render(identical, as: .human).contains("Plan: 0 to create, 0 to update, 0 to replace, 0 to delete, 1 to adopt; 0 unchanged."))

        var commented = Fixture.orders
        commented[0].comment = "key"
        let differing = Planner.plan(Fixture.input(desired: [Fixture.table("main.s.t", commented)], observed: [existing], inventory: []))
        #expect(differing.changes.first?.adopts == true && differing.changes.first?.fields.count == 1 && !differing.changes[0].isMetadataOnly)

        var narrowed = Fixture.orders
        narrowed[1].type = .integer
        let replacing = Planner.plan(Fixture.input(desired: [Fixture.table("main.s.t", narrowed)], observed: [existing], inventory: []))
        let checked = PolicyCheck.evaluate(replacing, policy: Policy(destructive: .allow), desired: [], inventory: Inventory(environment: "dev"),
                                           options: .init(allowDestructive: true, allowEmpty: true, allowUnverified: true))
        #expect(checked.changes.first?.refusal == .adoptionReplaces, "no override lets an adoption replace")
        #expect(PlanText.refusal(of: checked.changes[0]).contains("adoption never replaces"))
    }

    @Test func withoutPruneDeletionsAreOnlyReported() async {
        let observed = [Fixture.table("main.s.ours", Fixture.orders)]
        let plan = Planner.plan(Fixture.input(desired: [], observed: observed, inventory: [ResourceID(.table, "main.s.ours")], prune: false))
        #expect(plan.changes.isEmpty)
        #expect(plan.orphaned == [ResourceID(.table, "main.s.ours")])
    }

    @Test func aNamespaceHoldingUnmanagedResourcesIsKept() async {
        let observed = [Fixture.catalog("main"), Fixture.schema("main.s"), Fixture.table("main.s.theirs", Fixture.orders)]
        let plan = Planner.plan(Fixture.input(desired: [], observed: observed,
                                              inventory: [ResourceID(.catalog, "main"), ResourceID(.schema, "main.s")]))
        #expect(plan.changes.isEmpty)
        #expect(plan.orphaned == [ResourceID(.catalog, "main"), ResourceID(.schema, "main.s")])
        #expect(plan.unmanaged == [ResourceID(.table, "main.s.theirs")])
    }

    @Test func convergedStateHasNoChanges() async {
        let resources = [Fixture.catalog("main"), Fixture.schema("main.s"), Fixture.table("main.s.t", Fixture.orders)]
        let plan = Planner.plan(Fixture.input(desired: resources, observed: resources, inventory: Set(resources.map(\.id))))
        #expect(!plan.hasChanges)
        #expect(plan.unchanged.count == 3)
    }
}

@Suite struct PolicyTests {
    func destructivePlan() -> (Plan, [Resource]) {
        var narrowed = Fixture.orders
        narrowed[1].type = .integer
        let desired = [Fixture.table("main.s.t", narrowed)]
        return (Planner.plan(Fixture.input(desired: desired, observed: [Fixture.table("main.s.t", Fixture.orders, hasData: true)])), desired)
    }

    let noInventory = Inventory(environment: "dev")

    @Test func denyRefusesDestructiveChanges() async {
        let (plan, count) = destructivePlan()
        let checked = PolicyCheck.evaluate(plan, policy: Policy(destructive: .deny), desired: count, inventory: noInventory, options: .init())
        #expect(checked.refusals.count == 1)
        #expect(checked.refusals[0].refusal == .destructiveDenied)
        #expect(checked.refusals[0].destructiveReasons.first == .typeChanges(column: "amount", from: .decimal(precision: 18, scale: 2), to: .integer))
        #expect(PlanText.refusal(of: checked.refusals[0]).contains("changes type decimal(18,2) → int, which is not a widening and loses or rewrites data; the environment's policy is \"destructive: deny\"; pass --allow-destructive"))
    }

    @Test func allowDestructiveFlagOrPolicyLetsThemThrough() async {
        let (plan, count) = destructivePlan()
        #expect(PolicyCheck.evaluate(plan, policy: Policy(destructive: .deny), desired: count, inventory: noInventory, options: .init(allowDestructive: true)).refusals.isEmpty)
        #expect(PolicyCheck.evaluate(plan, policy: Policy(destructive: .allow), desired: count, inventory: noInventory, options: .init()).refusals.isEmpty)
    }

    @Test func anEmptyManifestSetNeverPrunesEverythingUnlessAsked() async {
        let observed = [Fixture.table("main.s.t", Fixture.orders)]
        let plan = Planner.plan(Fixture.input(desired: [], observed: observed, inventory: [observed[0].id]))
        let inventory = Inventory(environment: "dev", resources: [observed[0].id])
        let refused = PolicyCheck.evaluate(plan, policy: Policy(), desired: [], inventory: inventory, options: .init())
        #expect(refused.refusals.first?.refusal == .deletesEveryOfKind(.table))
        let allowed = PolicyCheck.evaluate(plan, policy: Policy(destructive: .allow), desired: [], inventory: inventory, options: .init(allowEmpty: true))
        #expect(allowed.refusals.isEmpty)
        // The default policy refuses the delete still: it drops data.
        let byDefault = PolicyCheck.evaluate(plan, policy: Policy(), desired: [], inventory: inventory, options: .init(allowEmpty: true))
        #expect(byDefault.refusals.first?.refusal == .destructiveDenied)
    }

    @Test func referencesMustBeDeclaredOrPresent() async {
        let table = Fixture.table("main.s.t", Fixture.orders)
        let problems = ReferenceCheck.diagnostics(desired: [table, Fixture.catalog("main")], observed: [])
        #expect(problems.count == 1)
        #expect(problems[0].message.contains("schema \"main.s\" is neither declared nor present"))
        #expect(ReferenceCheck.diagnostics(desired: [table], observed: [ResourceID(.catalog, "main"), ResourceID(.schema, "main.s")]).isEmpty)
        // A schema this environment created and no longer declares is pruned: not there to depend on.
        let owned = Inventory(environment: "dev", resources: [ResourceID(.schema, "main.s")])
        let pruned = ReferenceCheck.diagnostics(desired: [table, Fixture.catalog("main")], observed: [ResourceID(.catalog, "main"), ResourceID(.schema, "main.s")], inventory: owned)
        #expect(pruned.map(\.message).first?.contains("schema \"main.s\" is neither declared nor present") == true)
        #expect(ReferenceCheck.diagnostics(desired: [table, Fixture.catalog("main"), Fixture.schema("main.s")], observed: [ResourceID(.schema, "main.s")], inventory: owned).isEmpty,
                "declared again, it stays")
    }
}

@Suite struct ApplierTests {
    /// A target that records what it is asked and fails on one resource.
    final class RecordingTarget: Target {
        private let state = Mutex<(applied: [ResourceID], began: Int, ended: Int)>(([], 0, 0))
        let failOn: ResourceID?

        init(failOn: ResourceID? = nil) { self.failOn = failOn }

        var applied: [ResourceID] { state.withLock { $0.applied } }
        var began: Int { state.withLock { $0.began } }
        var ended: Int { state.withLock { $0.ended } }

        var summary: String { "recording" }
        func observe(scope: Set<ResourceID>) throws(TargetError) -> [Resource] { [] }
        func apply(_ change: Change) throws(TargetError) -> AppliedChange {
            if change.id == failOn { throw TargetError(change.id, "boom") }
            state.withLock { $0.applied.append(change.id) }
            return AppliedChange(tableVersion: change.id.kind == .table ? 7 : nil)
        }
        func beginApply(_ plan: Plan) throws(TargetError) { state.withLock { $0.began += 1 } }
        func endApply() throws(TargetError) { state.withLock { $0.ended += 1 } }
    }

    @Test func stopsAtTheFirstFailureAndJournalsEveryChange() async throws {
        let desired = [Fixture.catalog("main"), Fixture.schema("main.s"), Fixture.table("main.s.t", Fixture.orders)]
        let plan = Planner.plan(Fixture.input(desired: desired, observed: []))
        let target = RecordingTarget(failOn: ResourceID(.schema, "main.s"))
        let store = MemoryStateStore()
        let report = try await Applier.apply(plan, to: target, context: .init(store: store, actor: "ana", kind: .apply, digest: "abc"))
        #expect(!report.succeeded)
        #expect(report.outcomes == [.applied, .failed("boom"), .notAttempted])
        #expect(target.applied == [ResourceID(.catalog, "main")])
        #expect((target.began, target.ended) == (1, 1))
        #expect(try store.inventory("dev").resources == [ResourceID(.catalog, "main")])
        let record = try #require(store.records.first)
        #expect(record.outcome == .failed)
        #expect(record.actor == "ana" && record.planDigest == "abc" && record.revision == "abc1234")
        #expect(record.changes.map(\.status) == [.applied, .failed, .notAttempted])
        #expect(record.changes[1].error == "boom")
    }

    @Test func aSuccessfulApplyIsRecordedWhole() async throws {
        let desired = [Fixture.catalog("main"), Fixture.schema("main.s")]
        let store = MemoryStateStore()
        let report = try await Applier.apply(Planner.plan(Fixture.input(desired: desired, observed: [])), to: RecordingTarget(),
                                       context: .init(store: store, actor: "ana", kind: .heal, digest: "d"))
        #expect(report.succeeded)
        await #expect(try store.lastSuccessfulApply("dev")?.kind == .heal)
        #expect(store.records[0].changes.allSatisfy { $0.status == .applied })
    }
}

@Suite struct TagPlanTests {
    func namespace(_ tags: [String: String]?) -> Resource {
        Resource(id: ResourceID(.schema, "main.s"), spec: .schema(NamespaceSpec(tags: tags)))
    }

    @Test func tagsAreManagedOnlyWhereDeclared() throws {
        // Undeclared: whatever the target has stays, no change.
        #expect(Planner.compare(observed: namespace(["team": "x"]), desired: namespace(nil)) == nil)
        // Declared: the whole set, in place; an empty map removes them all.
        let removal = try #require(Planner.compare(observed: namespace(["team": "x"]), desired: namespace([:])))
        #expect(removal.action == .update && removal.fields.map(\.path) == ["/tags/team"] && !removal.isDestructive)
        let added = try #require(Planner.compare(observed: namespace(nil), desired: namespace(["tier": "gold"])))
        #expect(added.fields.map(\.path) == ["/tags/tier"])

        let old = Fixture.table("main.s.t", Fixture.orders, hasData: true)
        var columns = Fixture.orders
        columns[0].tags = ["pii": "false"]
        let tagged = try #require(Planner.compare(observed: old, desired: Fixture.table("main.s.t", columns)))
        #expect(tagged.action == .update && tagged.fields.map(\.path) == ["/columns/order_id/tags/pii"] && tagged.dataChecks.isEmpty)
        var withTable = Fixture.table("main.s.t", Fixture.orders)
        if case .table(var spec) = withTable.spec { spec.tags = ["domain": "sales"]; withTable.spec = .table(spec) }
        #expect(try #require(Planner.compare(observed: old, desired: withTable)).fields.map(\.path) == ["/tags/domain"])
    }
}
