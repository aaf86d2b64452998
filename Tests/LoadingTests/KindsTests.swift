import Testing
import Model
@testable import Loading

/// Tables the pipelines below can name.
let declaredTables = """
apiVersion: reconcile/v1
kind: Table
metadata: { name: main.s.a }
spec: { columns: [{ name: id, type: int }] }
---
apiVersion: reconcile/v1
kind: Table
metadata: { name: main.s.b }
spec: { columns: [{ name: id, type: int }] }
---
apiVersion: reconcile/v1
kind: Table
metadata: { name: main.s.c }
spec: { columns: [{ name: id, type: int }] }
"""

func pipeline(_ name: String, consumes: [String], produces: [String], extra: String = "") -> String {
    """
    apiVersion: reconcile/v1
    kind: Pipeline
    metadata: { name: \(name) }
    spec:
      catalog: main
      target: s
      libraries: [p.sql]
      consumes: [\(consumes.joined(separator: ", "))]
      produces: [\(produces.joined(separator: ", "))]
    \(extra)
    """
}

/// The first diagnostic of rendering `manifest` (with the tables above), as "line:col message".
func firstError(_ manifest: String) -> String? {
    let state = render(manifest, extra: ["manifests/tables.yaml": declaredTables])
    return state.diagnostics.first.map { "\($0.location.map { "\($0.line):\($0.column)" } ?? "-") \($0.message)" }
}

@Suite struct KindsTests {
    @Test func pipelineDecodes() throws {
        let state = render(pipeline("orders", consumes: ["main.s.a"], produces: ["main.s.b"],
                                    extra: "  schedule: { cron: \"0 */2 * * *\", timezone: Europe/Berlin }\n  configuration: { k: v }\n  development: true"),
                           extra: ["manifests/tables.yaml": declaredTables])
        #expect(state.diagnostics.isEmpty, "\(state.diagnostics)")
        let resource = try #require(state.resources.first { $0.id.kind == .pipeline })
        #expect(resource.spec == .pipeline(PipelineSpec(
            catalog: "main", target: "s", libraries: ["p.sql"], configuration: ["k": "v"], continuous: false,
            schedule: Schedule(cron: "0 */2 * * *", timezone: "Europe/Berlin"), development: true,
            produces: ["main.s.b"], consumes: ["main.s.a"])))
        #expect(state.libraries.map(\.value) == ["p.sql"])
        #expect(resource.dependencies.contains(ResourceID(.table, "main.s.a")))
    }

    @Test func pipelineLineageErrors() {
        #expect(firstError(pipeline("p", consumes: ["main.s.x"], produces: ["main.s.b"]))?.contains("8:14 Pipeline/p: spec.consumes[0]: table \"main.s.x\" is not declared") == true)
        let cycle = pipeline("p1", consumes: ["main.s.a"], produces: ["main.s.b"]) + "\n---\n" + pipeline("p2", consumes: ["main.s.b"], produces: ["main.s.a"])
        let message = firstError(cycle)
        #expect(message?.contains("pipelines form a dependency cycle: Pipeline/p1 consumes main.s.a, produced by Pipeline/p2; Pipeline/p2 consumes main.s.b, produced by Pipeline/p1") == true, "\(message ?? "")")
        let twoProducers = pipeline("p1", consumes: ["main.s.a"], produces: ["main.s.c"]) + "\n---\n" + pipeline("p2", consumes: ["main.s.b"], produces: ["main.s.c"])
        #expect(firstError(twoProducers)?.contains("table \"main.s.c\" is already produced by Pipeline/p1") == true)
        #expect(firstError(pipeline("p", consumes: ["main.s.a"], produces: ["main.s.b"], extra: "  schedule: { cron: every day }"))?.contains("is not a cron expression") == true)
        #expect(firstError(pipeline("p", consumes: ["main.s.a"], produces: ["main.s.b"], extra: "  schedule: { cron: \"0 * * * *\", timezone: Mars/Olympus }"))?.contains("is not a time zone") == true)
        #expect(firstError(pipeline("p", consumes: ["main.s.a"], produces: ["main.s.b"], extra: "  continuous: true\n  schedule: { cron: \"0 * * * *\" }"))?.contains("a continuous pipeline runs all the time") == true)
    }

    @Test func grantsDecodeAndAreNamedBySecurable() throws {
        let state = render("""
        apiVersion: reconcile/v1
        kind: Grants
        metadata: { name: readers }
        spec:
          securable: { type: table, name: main.s.a }
          grants:
            - { principal: analysts, privileges: [SELECT, select] }
            - { principal: engineers, privileges: [MODIFY, "ALL PRIVILEGES"] }
            - { principal: former-team, privileges: [] }
        """, extra: ["manifests/tables.yaml": declaredTables])
        #expect(state.diagnostics.isEmpty, "\(state.diagnostics)")
        let grants = try #require(state.resources.first { $0.id.kind == .grants })
        #expect(grants.id.description == "Grants/table:main.s.a")
        #expect(grants.spec == .grants(GrantsSpec(securable: Securable(.table, "main.s.a"),
                                                  grants: ["analysts": ["SELECT"], "engineers": ["MODIFY", "ALL_PRIVILEGES"], "former-team": []])))
        #expect(grants.dependencies == [ResourceID(.table, "main.s.a")])
    }

    @Test func grantsErrors() {
        let base = """
        apiVersion: reconcile/v1
        kind: Grants
        metadata: { name: g }
        spec:
          securable: { type: TYPE, name: NAME }
          grants:
            - { principal: analysts, privileges: [PRIVS] }
        """
        func grants(_ type: String, _ name: String, _ privileges: String) -> String {
            base.replacingOccurrences(of: "TYPE", with: type).replacingOccurrences(of: "NAME", with: name).replacingOccurrences(of: "PRIVS", with: privileges)
        }
        #expect(firstError(grants("table", "main.s.a", "SELEKT"))?.contains("7:43 Grants/g: spec.grants[0].privileges[0]: unknown privilege \"SELEKT\" for a table; did you mean \"SELECT\"?") == true)
        #expect(firstError(grants("table", "main.s.a", "USE_CATALOG"))?.contains("unknown privilege \"USE_CATALOG\" for a table") == true)
        #expect(firstError(grants("pipeline", "p", "SELECT"))?.contains("valid: CAN_MANAGE, CAN_RUN, CAN_VIEW, IS_OWNER") == true)
        #expect(firstError(grants("tabel", "main.s.a", "SELECT"))?.contains("did you mean \"table\"") == true)
        #expect(firstError(grants("table", "main.s", "SELECT"))?.contains("is not the full name of a table") == true)
    }

    @Test func flagsDecodeWithTargeting() throws {
        let state = render("""
        apiVersion: reconcile/v1
        kind: FeatureFlag
        metadata: { name: new-checkout }
        spec:
          variants: { "on": true, "off": false }
          defaultVariant: "off"
          targeting: { fractional: [{ var: email }, ["on", 25], ["off", 75]] }
          metadata: { owner: team, rollout: 0.25 }
        """)
        #expect(state.diagnostics.isEmpty, "\(state.diagnostics)")
        let flag = try #require(state.resources.first)
        guard case .featureFlag(let spec) = flag.spec else { Issue.record("not a flag"); return }
        #expect(spec.state == .enabled)
        #expect(spec.variants == ["on": .bool(true), "off": .bool(false)])
        #expect(spec.metadata == ["owner": .string("team"), "rollout": .double(0.25)])
        #expect(spec.targeting == .object(["fractional": .array([.object(["var": .string("email")]), .array([.string("on"), .int(25)]), .array([.string("off"), .int(75)])])]))
    }

    @Test func flagErrors() {
        func flag(_ variants: String, _ defaultVariant: String, _ targeting: String = "") -> String {
            "apiVersion: reconcile/v1\nkind: FeatureFlag\nmetadata: { name: f }\nspec:\n  variants: \(variants)\n  defaultVariant: \(defaultVariant)\n\(targeting)"
        }
        #expect(firstError(flag("{ red: 1, blue: 2 }", "green"))?.contains("6:19 FeatureFlag/f: spec.defaultVariant \"green\" is not a variant; variants: blue, red") == true)
        #expect(firstError(flag("{ red: 1, blue: \"2\" }", "red"))?.contains("variant \"blue\" is a string, but variant \"red\" is a number") == true)
        #expect(firstError(flag("{ red: 1, blue: 2 }", "red", "  targeting: { fractional: [[\"rde\", 50], [\"blue\", 50]] }"))?.contains("fractional names the variant \"rde\", which this flag does not have; did you mean \"red\"?") == true)
        #expect(firstError(flag("{ red: 1, blue: 2 }", "red", "  targeting: { if: [{ \"==\": [1, 1] }, \"gren\", \"red\"] }"))?.contains("targeting returns \"gren\"") == true)
        #expect(firstError(flag("{}", "red"))?.contains("non-empty mapping") == true)
        let unknown = firstError(flag("{ red: 1, blue: 2 }", "red", "  targeting: { if: [{ strts_with: [{ var: email }, \"a\"] }, \"blue\", \"red\"] }"))
        #expect(unknown?.contains("7:23 FeatureFlag/f: unknown targeting operator \"strts_with\"; did you mean \"starts_with\"?") == true, "\(unknown ?? "")")
        let weights = firstError(flag("{ red: 1, blue: 2 }", "red", "  targeting: { fractional: [[\"red\", 0], [\"blue\", 0]] }"))
        #expect(weights?.contains("the fractional weights add up to 0") == true, "\(weights ?? "")")
    }

    @Test func modelsDecode() throws {
        let state = render("""
        apiVersion: reconcile/v1
        kind: Model
        metadata: { name: main.ml.churn }
        spec:
          description: churn
          tags: { team: ds }
          versions:
            - { version: 1, source: "s3://b/1", runId: r1, tags: { auc: "0.8" } }
            - { version: 2, source: "runs:/r2/model" }
          aliases: { champion: 1, challenger: 2 }
        """)
        #expect(state.diagnostics.isEmpty, "\(state.diagnostics)")
        #expect(state.resources.first?.spec == .model(ModelSpec(
            description: "churn", tags: ["team": "ds"],
            versions: [1: ModelVersion(version: 1, source: "s3://b/1", runId: "r1", tags: ["auc": "0.8"]), 2: ModelVersion(version: 2, source: "runs:/r2/model")],
            aliases: ["champion": 1, "challenger": 2])))
    }

    @Test func modelErrors() {
        func model(_ versions: String, _ aliases: String) -> String {
            "apiVersion: reconcile/v1\nkind: Model\nmetadata: { name: main.ml.m }\nspec:\n  versions:\n\(versions)\n  aliases: \(aliases)"
        }
        let one = "    - { version: 1, source: \"s3://b/1\" }"
        #expect(firstError(model(one, "{ champion: 2 }"))?.contains("7:24 Model/main.ml.m: alias \"champion\" points at version 2, which is not declared in spec.versions (declared: 1)") == true)
        #expect(firstError(model(one, "{ v3: 1 }"))?.contains("alias \"v3\" is reserved") == true)
        #expect(firstError(model(one, "{ latest: 1 }"))?.contains("alias \"latest\" is reserved") == true)
        #expect(firstError(model("    - { version: 1, source: /tmp/model }", "{}"))?.contains("\"/tmp/model\" is not a URI") == true)
        #expect(firstError(model(one + "\n" + one, "{}"))?.contains("version 1 is declared twice") == true)
    }

    @Test func protectAnnotationIsCheckedAndKept() throws {
        let state = render("apiVersion: reconcile/v1\nkind: Catalog\nmetadata: { name: main, annotations: { reconcile/protect: \"true\" } }\n")
        #expect(state.resources.first?.isProtected == true)
        #expect(firstError("apiVersion: reconcile/v1\nkind: Catalog\nmetadata: { name: main, annotations: { reconcile/protect: \"yes\" } }\n")?.contains("must be \"true\" or \"false\"") == true)
    }

    @Test func wholeReferencesKeepTheirType() throws {
        let state = render("""
        apiVersion: reconcile/v1
        kind: FeatureFlag
        metadata: { name: f }
        spec:
          variants: { "on": true, "off": false }
          defaultVariant: "off"
          targeting: { fractional: [["on", "${var.rollout}"], ["off", 50]] }
          metadata: { note: "${var.rollout} percent" }
        """.replacingOccurrences(of: "${var.rollout}", with: "${var.retention_days}"), extra: [
            "environments/dev.yaml": devEnvironment.replacingOccurrences(of: "retention: interval 7 days", with: "retention_days: 50"),
        ])
        #expect(state.diagnostics.isEmpty, "\(state.diagnostics)")
        guard case .featureFlag(let flag)? = state.resources.first?.spec else { Issue.record("no flag"); return }
        #expect(flag.targeting == .object(["fractional": .array([.array([.string("on"), .int(50)]), .array([.string("off"), .int(50)])])]))
        #expect(flag.metadata["note"] == .string("50 percent"))
    }
}

/// Names within Unity Catalog's limits, types within Spark's (#17).
@Suite struct CatalogLimitsTests {
    @Test func namesLongerThan255CharactersAreRefusedAndShownCut() {
        let long = String(repeating: "a", count: 300)
        #expect(!Identifier.isValid(long) && Identifier.isValid(String(repeating: "a", count: 255)))
        #expect(!Identifier.isSlug(long) && Identifier.isSlug(String(repeating: "a", count: 255)))
        let shown = Identifier.shown(long)
        #expect(shown.count < 70 && shown.hasSuffix("…(300 characters)"))
    }

    @Test func varcharLengthsStayWithinSparksBound() {
        #expect(throws: DataTypeParseError.self) { try DataType.parse("varchar(2147483648)") }
        #expect(throws: DataTypeParseError.self) { try DataType.parse("char(0)") }
        #expect((try? DataType.parse("varchar(2147483647)")) == .varchar(2_147_483_647))
    }
}

extension CatalogLimitsTests {
    @Test func namesThatDifferOnlyInCaseAreOneObjectAndRefused() {
        let state = render("""
            apiVersion: reconcile/v1
            kind: Schema
            metadata: { name: main.Sales }
            ---
            apiVersion: reconcile/v1
            kind: Schema
            metadata: { name: main.sales }
            """)
        let errors = state.diagnostics.filter { $0.severity == .error }.map(\.message)
        #expect(errors.contains { $0.contains("Schema/main.sales and Schema/main.Sales") && $0.contains("differ only in case") }, "\(errors)")
        #expect(state.resources.filter { $0.id.kind == .schema }.count == 1)
    }
}
