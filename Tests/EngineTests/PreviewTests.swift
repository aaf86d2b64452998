import Testing
import Model
import Rendering
@testable import Engine

@Suite struct PreviewTests {
    static let databricks = TargetSpec.databricks(host: "https://example.cloud.databricks.com", warehouse: "wh1", auth: .token("${env:T}"), files: "/Repos/lake")

    static func environment(_ name: String, _ target: TargetSpec, variables: [String: String] = ["catalog": "main"]) -> Environment {
        var environment = Environment(name: name, target: target, variables: variables, source: .revision("abc"), promotion: Promotion(from: "staging"))
        environment.notifications = ["http://127.0.0.1:9/hook"]
        environment.policy.autoSync = true
        return environment
    }

    @Test(arguments: ["pr-1", "a", "0", "feature-x-2", String(repeating: "a", count: 40)])
    func namesThatBecomeDirectoriesAndCatalogs(_ name: String) { #expect(Preview.isValidName(name)) }

    @Test(arguments: ["", "PR-1", "pr_1", "-pr", "pr-", "pr--1", "pr.1", "pr/1", "prévu", String(repeating: "a", count: 41)])
    func namesThatCannot(_ name: String) throws {
        #expect(!Preview.isValidName(name))
        let base = Self.environment("dev", .local(path: ".lakehouse/dev"))
        #expect(throws: ReconcileError.self) { try Preview.derive(name, from: base, declared: [base]) }
    }

    @Test func aLocalPreviewGetsASiblingRootAndNothingOfTheBaseThatReachesOut() throws {
        var base = Self.environment("dev", .local(path: ".lakehouse/dev/"))
        base.routes["flags"] = .local(path: "/srv/flags")
        base.statePath = "state/dev.db"
        let preview = try Preview.derive("pr-7", from: base, declared: [base])
        #expect(preview.name == "dev-preview-pr-7")
        #expect(preview.target == .local(path: ".lakehouse/dev-preview-pr-7"))
        #expect(preview.routes["flags"] == .local(path: "/srv/flags-preview-pr-7"))
        #expect(preview.statePath == "state/dev-preview-pr-7.db")
        #expect(preview.variables == base.variables, "a local preview keeps its names: its root is its own")
        #expect(preview.source == .current && preview.promotion == nil && preview.notifications.isEmpty)
        #expect(!preview.policy.autoSync && preview.policy.prune && !preview.policy.adopts)
        #expect(preview.policy.destructive == base.policy.destructive, "the base's guard stays")
    }

    @Test func aDatabricksPreviewGetsItsOwnCatalogAndNeedsTheVariable() throws {
        let base = Self.environment("staging", Self.databricks, variables: ["catalog": "lake", "owner": "x"])
        let preview = try Preview.derive("pr-12", from: base, declared: [base])
        #expect(preview.variables["catalog"] == "lake_preview_pr_12" && preview.variables["owner"] == "x")
        #expect(preview.target == base.target)

        let bare = Self.environment("staging", Self.databricks, variables: [:])
        let error = try #require(throws: ReconcileError.self) { try Preview.derive("pr-12", from: bare, declared: [bare]) }
        #expect(error.message.contains("has no spec.variables.catalog"))
    }

    @Test func anMLflowRegistryCannotBePreviewed() throws {
        var base = Self.environment("dev", .local(path: ".lakehouse/dev"))
        base.routes["models"] = .mlflow(url: "http://127.0.0.1:5000")
        let error = try #require(throws: ReconcileError.self) { try Preview.derive("pr-1", from: base, declared: [base]) }
        #expect(error.message.contains("routes models to the MLflow server http://127.0.0.1:5000"))
    }

    @Test func aPreviewSharesNoNameRootOrStateWithADeclaredEnvironment() throws {
        let base = Self.environment("dev", .local(path: ".lakehouse/dev"))
        let named = Self.environment("dev-preview-x", .local(path: "elsewhere"))
        #expect(throws: ReconcileError.self) { try Preview.derive("x", from: base, declared: [base, named]) }
        let inside = Self.environment("qa", .local(path: "./.lakehouse/dev-preview-y/qa"))
        let error = try #require(throws: ReconcileError.self) { try Preview.derive("y", from: base, declared: [base, inside]) }
        #expect(error.message.contains("overlaps environment qa's root"))
        let root = Self.environment("root", .local(path: "/"))
        #expect(throws: ReconcileError.self) { try Preview.derive("z", from: root, declared: [root]) }
        var stated = Self.environment("ops", Self.databricks)
        stated.statePath = "s-preview-w.db"
        var remote = Self.environment("stage", Self.databricks)
        remote.statePath = "s.db"
        #expect(throws: ReconcileError.self) { try Preview.derive("w", from: remote, declared: [remote, stated]) }
        #expect(try Preview.derive("v", from: remote, declared: [remote, stated]).statePath == "s-preview-v.db")
    }

    @Test func onDatabricksEverythingLiesInThePreviewsCatalog() throws {
        let preview = try Preview.derive("pr-3", from: Self.environment("dev", Self.databricks), declared: [])
        let catalog = "main_preview_pr_3"
        func pipeline(_ name: String, catalog: String) -> Resource {
            Resource(id: ResourceID(.pipeline, name), spec: .pipeline(PipelineSpec(catalog: catalog, target: "silver", libraries: [], configuration: [:], continuous: false)))
        }
        func grants(_ type: Securable.Kind, _ name: String) -> Resource {
            let spec = GrantsSpec(securable: Securable(type, name), grants: ["a": ["SELECT"]])
            return Resource(id: GrantsSpec.resourceID(for: spec.securable), spec: .grants(spec))
        }
        let inside = [Fixture.catalog(catalog), Fixture.schema("\(catalog).s"), Fixture.table("\(catalog).s.t", Fixture.orders),
                      pipeline("\(catalog)-orders", catalog: catalog), grants(.table, "\(catalog).s.t"), grants(.pipeline, "\(catalog)-orders")]
        #expect(Preview.outsideItsCatalog(inside, preview: preview).isEmpty)
        let outside = [Fixture.catalog("main"), Fixture.table("main.s.t", Fixture.orders), pipeline("orders", catalog: catalog),
                       pipeline("\(catalog)-x", catalog: "main"), grants(.schema, "main.s"), grants(.pipeline, "orders")]
        let problems = Preview.outsideItsCatalog(outside, preview: preview)
        #expect(problems.count == outside.count)
        #expect(problems[2].message.contains("a Databricks pipeline's name is workspace-wide"))
        let local = try Preview.derive("pr-3", from: Self.environment("dev", .local(path: "l")), declared: [])
        #expect(Preview.outsideItsCatalog(outside, preview: local).isEmpty, "a local preview has a root of its own")
    }

    @Test func aPreviewAdoptsNothingAndItsDestroyDeletesEvenWhatIsProtected() throws {
        let preview = try Preview.derive("pr-1", from: Self.environment("dev", .local(path: "l")), declared: [])
        let existing = Fixture.table("main.s.t", Fixture.orders, hasData: true)
        let adopting = Planner.plan(Fixture.input(desired: [Fixture.table("main.s.t", Fixture.orders)], observed: [existing], inventory: []))
        let refused = PolicyCheck.evaluate(adopting, policy: preview.policy, desired: [], inventory: Inventory(environment: preview.name), options: .init(allowDestructive: true))
        #expect(refused.changes.first?.refusal == .adoptionDenied)
        #expect(PlanText.refusal(of: refused.changes[0]).contains("a preview adopts nothing"))

        var protected = existing
        protected.annotations[Resource.protectAnnotation] = "true"
        let owned = Inventory(environment: preview.name, entries: [existing.id: .init(protected: true)])
        let deleting = Planner.plan(Planner.Input(environment: preview.name, revision: "abc", target: "t", desired: [], observed: [protected], inventory: owned, prune: true))
        #expect(deleting.changes.map(\.action) == [.delete])
        let plain = PolicyCheck.evaluate(deleting, policy: preview.policy, desired: [], inventory: owned, options: .init(allowDestructive: true, allowEmpty: true))
        #expect(plain.changes[0].refusal == .protected(declared: false), "an ordinary run keeps the guard")
        let destroying = PolicyCheck.evaluate(deleting, policy: preview.policy, desired: [], inventory: owned, options: .destroyingPreview)
        #expect(destroying.refusals.isEmpty)
        let declared = PolicyCheck.evaluate(deleting, policy: Policy(), desired: [], inventory: owned, options: .destroyingPreview)
        #expect(declared.changes[0].refusal != nil, "only a preview's destroy deletes what is protected")
    }
}
