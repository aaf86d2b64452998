import Foundation
import Testing
import TestSupport

/// SQL functions, column masks and row filters as desired state on the local
/// lakehouse (#15): created before the tables that call them, converged, drift-checked;
/// removing a mask or filter is destructive (it opens data); an undeclared function is
/// a positioned error.
@Suite struct FunctionMaskTests {
    static let functions = """
    apiVersion: reconcile/v1
    kind: Function
    metadata: { name: "${var.catalog}.silver.mask_email" }
    spec:
      parameters: [{ name: email, type: string }]
      returns: string
      body: CASE WHEN is_account_group_member('hr') THEN email ELSE '***' END
      comment: Hides e-mail addresses from everyone outside HR
    ---
    apiVersion: reconcile/v1
    kind: Function
    metadata: { name: "${var.catalog}.silver.us_only" }
    spec:
      parameters: [{ name: country, type: string }]
      returns: boolean
      body: country = 'US'
    """

    static let customers = """
    apiVersion: reconcile/v1
    kind: Table
    metadata: { name: "${var.catalog}.silver.customers" }
    spec:
      columns:
        - { name: id, type: bigint }
        - { name: email, type: string, mask: { function: "${var.catalog}.silver.mask_email" } }
        - { name: country, type: string }
      rowFilter: { function: "${var.catalog}.silver.us_only", on: [country] }
    """

    func project(_ environment: String = Project.devEnvironment) throws -> Project {
        let project = try Project()
        try project.write("environments/dev.yaml", environment)
        try project.write("manifests/functions.yaml", Self.functions)
        try project.write("manifests/silver/customers.yaml", Self.customers)
        try project.commit("functions, a mask and a row filter")
        return project
    }

    @Test func functionsMasksAndRowFiltersConvergeAndDrift() throws {
        let project = try project()
        let plan = try project.reconcile("plan", "--env", "dev")
        #expect(plan.code == 2, "\(plan.output)")
        let created = plan.stdout.split(separator: "\n").filter { $0.contains("+ ") }.map { String($0) }
        let function = try #require(created.firstIndex { $0.contains("Function/main.silver.mask_email") })
        let table = try #require(created.firstIndex { $0.contains("Table/main.silver.customers") })
        #expect(function < table, "functions come before the tables that call them: \(created)")
        try project.apply("dev")
        #expect(try project.reconcile("plan", "--env", "dev").code == 0, "converges")
        let email = try #require(field(try project.deltaRS(".lakehouse/dev/main/silver/customers"), "email"))
        #expect("\(email["metadata"] ?? "")".contains("mask_email"), "delta-rs reads the table and its mask: \(email)")

        // A function changed by hand is drift; heal puts it back.
        _ = try Shell.check("sqlite3", [project.url.appendingPathComponent(".lakehouse/dev/catalog.db").path, "UPDATE functions SET body = 'email' WHERE name = 'main.silver.mask_email'"])
        let drift = try project.reconcile("drift", "--env", "dev")
        #expect(drift.code == 2 && drift.stdout.contains("Function/main.silver.mask_email") && drift.stdout.contains("body"), "\(drift.output)")
        #expect(try project.reconcile("drift", "--env", "dev", "--heal").code == 0)
        #expect(try project.reconcile("plan", "--env", "dev").code == 0)
    }

    @Test func removingAMaskOpensDataAndIsRefusedUnderDeny() throws {
        let project = try project(Project.prodEnvironment.replacingOccurrences(of: "name: prod", with: "name: dev").replacingOccurrences(of: ".lakehouse/prod", with: ".lakehouse/dev"))
        try project.apply("dev")
        try project.write("manifests/silver/customers.yaml", Self.customers
            .replacingOccurrences(of: ", mask: { function: \"${var.catalog}.silver.mask_email\" }", with: "")
            .replacingOccurrences(of: "  rowFilter: { function: \"${var.catalog}.silver.us_only\", on: [country] }", with: ""))
        try project.commit("unmask")
        let refused = try project.reconcile("apply", "--env", "dev")
        #expect(refused.code == 1, "\(refused.output)")
        #expect(refused.stdout.contains("removing the mask on column email opens the data it hid") && refused.stdout.contains("removing the row filter main.silver.us_only opens"), "\(refused.output)")
        #expect(try project.reconcile("apply", "--env", "dev", "--allow-destructive").code == 0)
        #expect(try project.reconcile("plan", "--env", "dev").code == 0)
    }

    @Test func anUndeclaredFunctionIsAPositionedError() throws {
        let project = try Project()
        try project.write("manifests/silver/customers.yaml", Self.customers)
        try project.commit("a mask without its function")
        let result = try project.reconcile("validate")
        #expect(result.code == 1)
        #expect(result.stderr.contains("manifests/silver/customers.yaml:7:") && result.stderr.contains("function \"main.silver.mask_email\" is not declared"), "\(result.output)")
        #expect(result.stderr.contains("function \"main.silver.us_only\" is not declared"), "\(result.output)")
    }

    /// A function row damaged by hand never reads as a match: not even for a function of
    /// no parameters, whose damaged parameter list could pass for an empty one.
    @Test func aDamagedFunctionRowIsDriftNeverAMatch() throws {
        let project = try project()
        try project.write("manifests/constant.yaml", """
        apiVersion: reconcile/v1
        kind: Function
        metadata: { name: "${var.catalog}.silver.region" }
        spec: { parameters: [], returns: string, body: "'eu'" }
        """)
        try project.commit("a function of no parameters")
        try project.apply("dev")
        #expect(try project.reconcile("plan", "--env", "dev").code == 0)
        let database = project.url.appendingPathComponent(".lakehouse/dev/catalog.db").path
        for damage in ["'not json'", "'[1]'", "'[\"x notatype<\"]'"] {
            _ = try Shell.check("sqlite3", [database, "UPDATE functions SET parameters = \(damage) WHERE name = 'main.silver.region'"])
            let drift = try project.reconcile("drift", "--env", "dev")
            #expect(drift.code == 2 && drift.stdout.contains("Function/main.silver.region") && drift.stdout.contains("unreadable parameters"), "\(damage): \(drift.output)")
        }
        #expect(try project.reconcile("drift", "--env", "dev", "--heal").code == 0)
        #expect(try project.reconcile("plan", "--env", "dev").code == 0)
    }

    /// Who may call a function: EXECUTE granted like any privilege, on a declared function.
    @Test func grantsOnAFunctionConverge() throws {
        let project = try project()
        try project.write("manifests/grants.yaml", """
        apiVersion: reconcile/v1
        kind: Grants
        metadata: { name: mask-callers }
        spec:
          securable: { type: function, name: "${var.catalog}.silver.mask_email" }
          grants:
            - { principal: analysts, privileges: [EXECUTE] }
        """)
        try project.commit("analysts may call the mask")
        try project.apply("dev")
        #expect(try project.reconcile("plan", "--env", "dev").code == 0, "converges")
        let rows = try Shell.check("sqlite3", [project.url.appendingPathComponent(".lakehouse/dev/catalog.db").path,
                                               "SELECT securable_type, securable_name, principal, privilege FROM grants"])
        #expect(rows.stdout.contains("function|main.silver.mask_email|analysts|EXECUTE"), "\(rows.output)")
        try project.write("manifests/grants.yaml", try project.read("manifests/grants.yaml").replacingOccurrences(of: "[EXECUTE]", with: "[SELECT]"))
        try project.commit("a privilege functions do not have")
        let invalid = try project.reconcile("validate")
        #expect(invalid.code == 1 && invalid.stderr.contains("manifests/grants.yaml:7:"), "\(invalid.output)")
    }
}
