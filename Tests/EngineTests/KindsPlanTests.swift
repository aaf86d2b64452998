import Testing
import Model
import Rendering
@testable import Engine

@Suite struct KindsPlanTests {
    func grants(_ securable: Securable, _ grants: [String: Set<String>], exclusive: Bool = false) -> Resource {
        Resource(id: GrantsSpec.resourceID(for: securable), spec: .grants(GrantsSpec(securable: securable, grants: grants, exclusive: exclusive)))
    }

    let table = Securable(.table, "main.s.t")

    @Test func undeclaredPrincipalsAreLeftAloneAndNoted() throws {
        let observed = grants(table, ["analysts": ["SELECT"], "someone": ["MODIFY"]])
        let desired = grants(table, ["analysts": ["SELECT"]])
        let plan = Planner.plan(Fixture.input(desired: [desired], observed: [observed]))
        #expect(plan.changes.isEmpty)
        #expect(plan.notices.map(\.subject) == [.foreignGrant(principal: "someone", privileges: ["MODIFY"], securable: "table:main.s.t")])
        #expect(plan.notices.map(PlanText.notice) == ["someone holds MODIFY on table:main.s.t, granted outside this manifest; left alone (set exclusive: true to manage every principal)"])
    }

    @Test func exclusiveRevokesOthersDestructively() throws {
        let observed = grants(table, ["analysts": ["SELECT"], "someone": ["MODIFY"]])
        let desired = grants(table, ["analysts": ["SELECT", "MODIFY"]], exclusive: true)
        let change = try #require(Planner.compare(observed: observed, desired: desired))
        #expect(change.action == .update)
        #expect(change.fields.map(\.path) == ["/grants/analysts/MODIFY", "/grants/someone/MODIFY"])
        #expect(change.fields.map(\.op) == [.add, .remove])
        #expect(change.destructiveReasons == [.revokes(privilege: "MODIFY", securable: "table:main.s.t", principal: "someone")])
        #expect(PlanText.reasons(change.destructiveReasons) == ["revokes MODIFY on table:main.s.t from someone"])
    }

    @Test func grantingIsNotDestructive() throws {
        let change = try #require(Planner.compare(observed: grants(table, ["a": ["SELECT"]]), desired: grants(table, ["a": ["SELECT", "MODIFY"]])))
        #expect(!change.isDestructive)
    }

    @Test func deletingGrantsRevokesOnlyWhatThisEnvironmentGranted() throws {
        let observed = grants(table, ["analysts": ["SELECT"], "someone": ["MODIFY"]])
        var inventory = Inventory(environment: "dev", resources: [ResourceID(.table, "main.s.t")])
        inventory.entries[observed.id] = Inventory.Entry(principals: ["analysts"])
        var input = Fixture.input(desired: [Fixture.table("main.s.t", Fixture.orders)], observed: [observed, Fixture.table("main.s.t", Fixture.orders)])
        input.inventory = inventory
        let plan = Planner.plan(input)
        let delete = try #require(plan.changes.first)
        #expect(delete.action == .delete)
        #expect(delete.observed?.spec == .grants(GrantsSpec(securable: table, grants: ["analysts": ["SELECT"]])))
        #expect(PlanText.reasons(delete.destructiveReasons) == ["deleting Grants/table:main.s.t revokes SELECT from analysts"])
    }

    func model(_ versions: [Int], aliases: [String: Int] = [:], source: String = "s3://m") -> Resource {
        Resource(id: ResourceID(.model, "main.ml.m"), spec: .model(ModelSpec(
            versions: Dictionary(uniqueKeysWithValues: versions.map { ($0, ModelVersion(version: $0, source: "\(source)/\($0)")) }), aliases: aliases)))
    }

    @Test func modelVersionsAndAliases() throws {
        let moved = try #require(Planner.compare(observed: model([1, 2], aliases: ["champion": 1]), desired: model([1, 2], aliases: ["champion": 2])))
        #expect(moved.fields == [FieldChange(op: .change, path: "/aliases/champion", before: .int(1), after: .int(2))])
        #expect(!moved.isDestructive)
        let dropped = try #require(Planner.compare(observed: model([1, 2]), desired: model([2])))
        #expect(dropped.destructiveReasons == [.modelVersionDeleted(1)])
        let resourced = try #require(Planner.compare(observed: model([1]), desired: model([1], source: "s3://other")))
        #expect(resourced.destructiveReasons.first == .modelVersionReplaced(1))
        #expect(Planner.compare(observed: model([1, 2], aliases: ["a": 1]), desired: model([1, 2], aliases: ["a": 1])) == nil)
    }

    func pipeline(_ name: String, target: String = "s", consumes: [String] = [], produces: [String] = []) -> Resource {
        Resource(id: ResourceID(.pipeline, name), spec: .pipeline(PipelineSpec(catalog: "main", target: target, libraries: ["p.sql"], produces: produces, consumes: consumes)))
    }

    @Test func movingAPipelineReplacesIt() throws {
        let change = try #require(Planner.compare(observed: pipeline("p"), desired: pipeline("p", target: "gold")))
        #expect(change.action == .replace)
        #expect(change.isDestructive)
        let schedule = try #require(Planner.compare(observed: pipeline("p", consumes: ["main.s.a"]), desired: pipeline("p", consumes: ["main.s.b"])))
        #expect(schedule.action == .update)
    }

    @Test func orderFollowsDependenciesAcrossKinds() {
        let desired = [
            grants(Securable(.pipeline, "gold"), ["a": ["CAN_VIEW"]]),
            pipeline("gold", consumes: ["main.s.silver"], produces: ["main.s.gold"]),
            pipeline("aaa-silver", consumes: ["main.s.bronze"], produces: ["main.s.silver"]),
            grants(table, ["a": ["SELECT"]]),
            Resource(id: ResourceID(.featureFlag, "f"), spec: .featureFlag(FlagSpec(variants: ["on": true], defaultVariant: "on"))),
            Fixture.table("main.s.t", Fixture.orders), Fixture.table("main.s.bronze", Fixture.orders),
            Fixture.table("main.s.silver", Fixture.orders), Fixture.table("main.s.gold", Fixture.orders),
            model([1]), Fixture.schema("main.s"), Fixture.schema("main.ml"), Fixture.catalog("main"),
        ]
        let order = Planner.plan(Fixture.input(desired: desired, observed: [])).changes.map(\.id.description)
        func position(_ id: String) -> Int { order.firstIndex(of: id) ?? -1 }
        #expect(order.count == desired.count)
        #expect(position("Catalog/main") == 0)
        #expect(position("Schema/main.s") < position("Table/main.s.t"))
        #expect(position("Table/main.s.t") < position("Grants/table:main.s.t"))
        #expect(position("Schema/main.ml") < position("Model/main.ml.m"))
        #expect(position("Table/main.s.gold") < position("Pipeline/gold"))
        #expect(position("Pipeline/aaa-silver") < position("Pipeline/gold"))
        #expect(position("Pipeline/gold") < position("Grants/pipeline:gold"))

        // Deletes run the other way.
        var inventory = Inventory(environment: "dev")
        for resource in desired { inventory.entries[resource.id] = .init() }
        var input = Fixture.input(desired: [], observed: desired)
        input.inventory = inventory
        let deletes = Planner.plan(input).changes.map(\.id.description)
        #expect(deletes.firstIndex(of: "Grants/table:main.s.t")! < deletes.firstIndex(of: "Table/main.s.t")!)
        #expect(deletes.firstIndex(of: "Pipeline/gold")! < deletes.firstIndex(of: "Pipeline/aaa-silver")!)
        #expect(deletes.last == "Catalog/main")
    }

    @Test func protectionRefusesDeleteAndReplaceEvenWithAllowDestructive() {
        var protected = Fixture.table("main.s.t", Fixture.orders)
        protected.annotations[Resource.protectAnnotation] = "true"
        var narrowed = protected
        if case .table(var spec) = narrowed.spec { spec.columns[1].type = .integer; narrowed.spec = .table(spec) }
        let plan = Planner.plan(Fixture.input(desired: [narrowed], observed: [Fixture.table("main.s.t", Fixture.orders, hasData: true)]))
        let checked = PolicyCheck.evaluate(plan, policy: Policy(), desired: [narrowed], inventory: Inventory(environment: "dev"), options: .init(allowDestructive: true, allowEmpty: true))
        #expect(checked.refusals.first?.refusal == .protected(declared: true))
        #expect(checked.refusals.first.map(PlanText.refusal(of:))?.contains("is protected: its manifest says reconcile/protect: \"true\"") == true)
    }

    @Test func protectionIsRememberedAfterTheManifestIsGone() {
        let observed = [Fixture.table("main.s.t", Fixture.orders), Fixture.table("main.s.u", Fixture.orders)]
        var inventory = Inventory(environment: "dev")
        inventory.entries[observed[0].id] = .init(protected: true)
        inventory.entries[observed[1].id] = .init()
        var input = Fixture.input(desired: [], observed: observed)
        input.inventory = inventory
        let checked = PolicyCheck.evaluate(Planner.plan(input), policy: Policy(), desired: [], inventory: inventory, options: .init(allowDestructive: true, allowEmpty: true))
        #expect(checked.refusals.map(\.id) == [observed[0].id])
        #expect(checked.refusals[0].refusal == .protected(declared: false))
        #expect(PlanText.refusal(of: checked.refusals[0]).contains("which deleting the manifest does not lift"))
    }

    @Test func removingProtectionIsAnInventoryOnlyChange() throws {
        let table = Fixture.table("main.s.t", Fixture.orders)
        var inventory = Inventory(environment: "dev")
        inventory.entries[table.id] = .init(protected: true)
        var input = Fixture.input(desired: [table], observed: [table])
        input.inventory = inventory
        let change = try #require(Planner.plan(input).changes.first)
        #expect(change.isMetadataOnly)
        #expect(change.fields.map(\.path) == ["/metadata/annotations/reconcile~1protect"])
        inventory.record(change)
        #expect(inventory.entries[table.id]?.protected == false)
    }

    @Test func deletingEveryResourceOfAKindNeedsAllowEmpty() {
        let flags = ["a", "b"].map { Resource(id: ResourceID(.featureFlag, $0), spec: .featureFlag(FlagSpec(variants: ["on": true], defaultVariant: "on"))) }
        var inventory = Inventory(environment: "dev")
        for flag in flags { inventory.entries[flag.id] = .init() }
        var input = Fixture.input(desired: [Fixture.catalog("main")], observed: flags + [Fixture.catalog("main")])
        input.inventory = inventory
        let plan = Planner.plan(input)
        #expect(PolicyCheck.evaluate(plan, policy: Policy(), desired: input.desired, inventory: inventory, options: .init()).refusals.count == 2)
        #expect(PolicyCheck.evaluate(plan, policy: Policy(destructive: .allow), desired: input.desired, inventory: inventory, options: .init(allowEmpty: true)).refusals.isEmpty)
        // Deleting one of two is ordinary pruning.
        input.desired.append(flags[0])
        let one = Planner.plan(input)
        #expect(PolicyCheck.evaluate(one, policy: Policy(destructive: .allow), desired: input.desired, inventory: inventory, options: .init()).refusals.isEmpty)
    }

    @Test func graphs() {
        let resources = [pipeline("p", consumes: ["main.s.a"], produces: ["main.s.b"]), Fixture.table("main.s.a", Fixture.orders), Fixture.table("main.s.b", Fixture.orders)]
        let lineage = ResourceGraph.lineage(resources)
        #expect(lineage.edges.map { "\($0.from) -> \($0.to)" } == ["Table/main.s.a -> Pipeline/p", "Pipeline/p -> Table/main.s.b"])
    }
}

@Suite struct IgnoreAndPreservationTests {
    @Test func ignoredFieldsAreNotPlanned() throws {
        var desired = Fixture.table("main.s.t", Fixture.orders, properties: ["owner": "a", "tier": "1"], comment: "x")
        desired.annotations[Resource.ignoreAnnotation] = "/properties/owner, /comment"
        let observed = Fixture.table("main.s.t", Fixture.orders, properties: ["owner": "b", "tier": "1"], comment: "y")
        #expect(Planner.compare(observed: observed, desired: desired) == nil)
        let changedTier = Fixture.table("main.s.t", Fixture.orders, properties: ["owner": "b", "tier": "2"])
        let change = try #require(Planner.compare(observed: changedTier, desired: desired))
        #expect(change.fields.map(\.path) == ["/properties/tier"])
    }

    @Test func ignoringTheOnlyDestructiveFieldMakesItAnUpdate() throws {
        var narrowed = Fixture.orders
        narrowed[1].type = .integer
        var desired = Fixture.table("main.s.t", narrowed, properties: ["a": "1"])
        desired.annotations[Resource.ignoreAnnotation] = "/columns/amount"
        let change = try #require(Planner.compare(observed: Fixture.table("main.s.t", Fixture.orders), desired: desired))
        #expect(change.action == .update)
        #expect(!change.isDestructive)
    }

    @Test func rollbackKeepsColumnsAndEverythingElseDestructive() throws {
        var older = Fixture.orders
        older.removeLast()
        let observed = [Fixture.table("main.s.t", Fixture.orders, properties: ["a": "1"], hasData: true),
                        Resource(id: ResourceID(.featureFlag, "f"), spec: .featureFlag(FlagSpec(variants: ["on": true], defaultVariant: "on")))]
        var inventory = Inventory(environment: "dev")
        for resource in observed { inventory.entries[resource.id] = .init() }
        var input = Fixture.input(desired: [Fixture.table("main.s.t", older, properties: ["a": "2"])], observed: observed)
        input.inventory = inventory
        let plan = Preservation.apply(Planner.plan(input))
        let change = try #require(plan.changes.first)
        #expect(plan.changes.count == 1)
        #expect(change.action == .update)
        #expect(change.fields.map(\.path) == ["/properties/a"])
        #expect(change.desired?.table?.column(named: "order_date") != nil, "the dropped column is kept")
        #expect(plan.notices.map(\.subject).contains(.columnKept("order_date")))
        #expect(plan.notices.map(PlanText.notice).contains("column \"order_date\" stays: dropping it would delete its data; pass --allow-destructive to drop it"))
        #expect(plan.notices.contains { $0.id == ResourceID(.featureFlag, "f") && PlanText.notice($0).hasPrefix("stays as it is (delete not made)") })
    }

    @Test func rollbackKeepsModelVersionsButMovesAliasesEvenWhereDestructiveIsDenied() throws {
        let v1 = ModelVersion(version: 1, source: "s3://m/1"), v2 = ModelVersion(version: 2, source: "s3://m/2"), v3 = ModelVersion(version: 3, source: "s3://m/3")
        let observed = Resource(id: ResourceID(.model, "main.ml.m"), spec: .model(ModelSpec(versions: [1: v1, 2: v2, 3: v3], aliases: ["champion": 2])),
                                observation: Observation())
        let older = Resource(id: ResourceID(.model, "main.ml.m"), spec: .model(ModelSpec(versions: [1: v1, 2: v2], aliases: ["champion": 1])))
        let input = Fixture.input(desired: [older], observed: [observed], inventory: [observed.id])
        var policy = Policy()
        policy.destructive = .deny
        let planned = PolicyCheck.evaluate(Planner.plan(input), policy: policy, desired: [older], inventory: input.inventory, options: .init())
        #expect(planned.changes.first?.refusal != nil, "deleting version 3 is refused under destructive: deny")
        let plan = Preservation.apply(planned)
        let change = try #require(plan.changes.first)
        #expect(change.fields.map(\.path) == ["/aliases/champion"])
        #expect(change.refusal == nil, "what is left is not destructive")
        guard case .model(let kept)? = change.desired?.spec else { Issue.record("not a model"); return }
        #expect(kept.versions[3] == v3, "version 3 is kept")
        #expect(plan.notices.map(\.subject) == [.modelVersionKept("3")])
        #expect(plan.notices.map(PlanText.notice) == ["model version 3 stays: deleting it would lose it; pass --allow-destructive to delete it"])
    }
}
