import Testing
import Model
import Rendering
import Engine

/// What an interrupted apply left uncertain, settled by observation; and what
/// `drift --heal` may restore.
@Suite struct RecoveryTests {
    let table = Fixture.table("main.s.t", Fixture.orders)

    func intent(_ action: Action, _ id: ResourceID, position: Int = 0) -> Intent {
        Intent(apply: 1, position: position, resource: id, action: action)
    }

    @Test func aCreateThatLandedIsOwnedAndOneThatDidNotIsNot() {
        let empty = Inventory(environment: "dev")
        let landed = Recovery.resolve([intent(.create, table.id)], observed: [table.id], desired: [table], inventory: empty)
        #expect(landed.map(\.effect) == [.set(Inventory.Entry(protected: false, principals: nil))])
        let missed = Recovery.resolve([intent(.create, table.id)], observed: [], desired: [table], inventory: empty)
        #expect(missed.map(\.effect) == [.keep])
    }

    @Test func aDeleteThatLandedIsNoLongerOwnedAndOneRolledBackIsOwnedAgain() {
        let owned = Inventory(environment: "dev", resources: [table.id])
        #expect(Recovery.resolve([intent(.delete, table.id)], observed: [], desired: [], inventory: owned).map(\.effect) == [.remove])
        let rolledBack = Inventory(environment: "dev")
        #expect(Recovery.resolve([intent(.delete, table.id)], observed: [table.id], desired: [], inventory: rolledBack).map(\.effect)
                == [.set(Inventory.Entry())])
    }

    @Test func anUpdateNeverAdoptsAndProtectionIsTheManifests() {
        let empty = Inventory(environment: "dev")
        #expect(Recovery.resolve([intent(.update, table.id), intent(.replace, table.id, position: 1)], observed: [table.id], desired: [table], inventory: empty)
            .map(\.effect) == [.keep, .keep])
        var protected = table
        protected.annotations[Resource.protectAnnotation] = "true"
        let resolved = Recovery.resolve([intent(.create, table.id)], observed: [table.id], desired: [protected], inventory: empty)
        #expect(resolved.map(\.effect) == [.set(Inventory.Entry(protected: true))])
        #expect(Recovery.applying(resolved, to: empty).entries[table.id]?.protected == true)
    }

    @Test func healSplitsWhatPolicyAllowsFromTheRest() {
        let flag = Resource(id: ResourceID(.featureFlag, "f"), spec: .featureFlag(FlagSpec(variants: ["on": true], defaultVariant: "on")))
        var plan = Planner.plan(Fixture.input(desired: [table, flag], observed: []))
        plan.changes[0].refusal = .destructiveDenied
        let (healable, refused) = DriftHeal.split(plan)
        #expect(healable.changes.map(\.id) == [plan.changes[1].id])
        #expect(refused.map(\.id) == [plan.changes[0].id])
        let advice = PlanText.healAdvice(refused, environment: "prod").map(\.message)
        #expect(advice.first?.contains("drift not healed") == true && advice.first?.contains("declare it in the manifest") == true)
        #expect(advice.last == "drift --heal left 1 change in prod that the policy refuses; the rest was healed")
    }

    @Test func theDefaultPolicyDeniesDestructiveChanges() {
        #expect(Policy().destructive == .deny)
    }
}

@Suite struct PlanIdentityTests {
    @Test func theDigestIsTheChangesNotTheirDisplayOrRequestCounts() {
        let table = Fixture.table("main.s.t", Fixture.orders)
        var plan = Planner.plan(Fixture.input(desired: [table], observed: []))
        let digest = plan.digest
        plan.notices = [Notice(table.id, .columnKept("said, not done"))]
        #expect(plan.digest == digest, "notices are no part of what a plan changes (requests are the run report's, not the plan's)")
        var other = plan
        other.changes[0].action = .replace
        #expect(other.digest != digest)
        var refused = plan
        refused.changes[0].refusal = .destructiveDenied
        #expect(refused.digest != digest)
        #expect(digest.count == 64)
    }
}

@Suite struct DigestTests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func sha256(input: String, digest: String) {
        #expect(Digest.sha256Hex(Array(input.utf8)) == digest)
    }

    @Test func sha256OfAMillionA() {
        #expect(Digest.sha256Hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}

@Suite struct PruneAfterPlanTests {
    @Test func aTableIsPrunedWhenItsLastConsumerDropsItInTheSameChange() {
        let table = Fixture.table("main.s.t", Fixture.orders)
        func pipeline(consumes: [String]) -> Resource {
            Resource(id: ResourceID(.pipeline, "p"), spec: .pipeline(PipelineSpec(catalog: "main", target: "s", consumes: consumes)))
        }
        let namespaces = [Fixture.catalog("main"), Resource(id: ResourceID(.schema, "main.s"), spec: .schema(NamespaceSpec()))]
        var input = Fixture.input(desired: namespaces + [pipeline(consumes: [])], observed: namespaces + [table, pipeline(consumes: ["main.s.t"])],
                                  inventory: Set(namespaces.map(\.id) + [table.id, ResourceID(.pipeline, "p")]))
        let plan = Planner.plan(input)
        #expect(plan.changes.map(\.id) == [ResourceID(.pipeline, "p"), table.id], "the consumer's update first, then the delete")
        #expect(plan.changes.last?.action == .delete)
        // A consumer that keeps reading it keeps it.
        input.desired = namespaces + [pipeline(consumes: ["main.s.t"])]
        #expect(Planner.plan(input).orphaned == [table.id])
    }
}
