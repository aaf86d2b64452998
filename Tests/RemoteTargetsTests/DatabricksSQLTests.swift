import Foundation
import Testing
import Model
import Engine
@testable import RemoteTargets

/// Generated DDL against golden files (RECORD_SNAPSHOTS=1 rewrites them).
@Suite struct DatabricksSQLTests {
    static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

    func assertSnapshot(_ statements: [String], _ name: String) throws {
        let text = statements.joined(separator: ";\n\n") + ";\n"
        let url = Self.snapshots.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" { try text.write(to: url, atomically: true, encoding: .utf8) }
        #expect(text == (try String(contentsOf: url, encoding: .utf8)), "DDL differs from \(name); if intended, rerun with RECORD_SNAPSHOTS=1")
    }

    /// Names that are SQL keywords, and text with quotes, backslashes and newlines.
    let orders = TableSpec(
        comment: "Orders: the customer's \"final\" state\nback\\slash",
        columns: [
            Column(name: "select", type: .long, nullable: false, comment: "it's the key"),
            Column(name: "order", type: .decimal(precision: 18, scale: 2)),
            Column(name: "items", type: .array(element: .struct([StructField(name: "sku", type: .string, nullable: false, comment: "a 'stock' unit"),
                                                                 StructField(name: "Quantity", type: .integer)]), containsNull: true)),
            Column(name: "attrs", type: .map(key: .string, value: .varchar(32), valueContainsNull: false)),
            Column(name: "date", type: .date),
        ],
        partitionedBy: ["date"],
        properties: ["delta.appendOnly": "true", "owner's note": "it's \"fine\""],
        constraints: ["positive", "known"].reduce(into: [:]) { $0[$1] = $1 == "positive" ? "`order` >= 0" : "`select` IS NOT NULL" },
        location: "s3://bucket/it's/here")

    func change(_ action: Action, from old: TableSpec?, to new: TableSpec?) -> Change {
        let id = ResourceID(.table, "main.sales.order-lines")
        let observed = old.map { Resource(id: id, spec: .table($0), observation: Observation(version: 0, hasData: true)) }
        let desired = new.map { Resource(id: id, spec: .table($0)) }
        if let observed, let desired, let compared = Planner.compare(observed: observed, desired: desired) { return compared }
        return Change(id: id, action: action, observed: observed, desired: desired)
    }

    @Test func quotingAndEscaping() {
        #expect(DatabricksSQL.identifier("a`b") == "`a``b`")
        #expect(DatabricksSQL.fullName("main.sales.select") == "`main`.`sales`.`select`")
        #expect(DatabricksSQL.literal("it's a \\ \"x\"\n") == #"'it\'s a \\ "x"\n'"#)
    }

    @Test func aChangeSQLCannotMakeIsAnErrorNeverNoStatements() {
        let flag = Change(id: ResourceID(.featureFlag, "f"), action: .create, observed: nil,
                          desired: Resource(id: ResourceID(.featureFlag, "f"), spec: .featureFlag(FlagSpec(variants: ["on": true], defaultVariant: "on"))))
        #expect(throws: TargetError.self) { try DatabricksSQL.statements(for: flag) }
        let specless = Change(id: ResourceID(.table, "main.s.t"), action: .update, observed: nil, desired: nil)
        let error = #expect(throws: TargetError.self) { try DatabricksSQL.statements(for: specless) }
        #expect(error?.message.contains("without its Table spec") == true)
    }

    @Test func declaredTagsAreRefusedNeverDroppedSilently() {
        let tagged = TableSpec(columns: [Column(name: "email", type: .string, tags: ["pii": "true"])])
        let error = #expect(throws: TargetError.self) { try DatabricksSQL.statements(for: change(.create, from: nil, to: tagged)) }
        #expect(error?.message.contains("tags (spec.tags, columns[].tags) are not managed on the Databricks target yet: nothing was changed") == true)
        let untagged = TableSpec(columns: [Column(name: "email", type: .string)])
        #expect(throws: Never.self) { try DatabricksSQL.statements(for: change(.create, from: nil, to: untagged)) }
    }

    @Test func createTable() throws {
        try assertSnapshot(try DatabricksSQL.statements(for: change(.create, from: nil, to: orders)), "create-table.sql")
    }

    @Test func alterTableInPlace() throws {
        var new = orders
        new.columns.append(Column(name: "email", type: .string, comment: "a'b"))
        new.columns[1].type = .decimal(precision: 20, scale: 2)
        new.columns[0].nullable = true
        new.columns[4].comment = "partition"
        new.comment = nil
        new.properties = ["delta.appendOnly": "false", "tier": "gold"]
        new.constraints = ["positive": "`order` > 0", "fresh": "`date` > '2020-01-01'"]
        let change = change(.update, from: orders, to: new)
        #expect(change.action == .update)
        try assertSnapshot(try DatabricksSQL.statements(for: change), "alter-table.sql")
    }

    /// A rename and a drop in place: column mapping is turned on first, as Databricks requires.
    @Test func renameAndDropWithColumnMapping() throws {
        var new = orders
        new.columns[1] = Column(name: "amount", type: .decimal(precision: 18, scale: 2), renamedFrom: "order")
        new.columns.remove(at: 3)
        let change = change(.update, from: orders, to: new)
        #expect(change.action == .update)
        #expect(change.destructiveReasons == [.columnDropped(column: "attrs")])
        try assertSnapshot(try DatabricksSQL.statements(for: change), "rename-and-drop.sql")
    }

    @Test func replaceAndDrop() throws {
        var new = orders
        new.partitionedBy = []
        new.clusterBy = ["date", "select"]
        let replace = change(.replace, from: orders, to: new)
        #expect(replace.action == .replace)
        try assertSnapshot(try DatabricksSQL.statements(for: replace) + DatabricksSQL.statements(for: change(.delete, from: orders, to: nil)), "replace-and-drop.sql")
    }

    @Test func clusteringKeysChangeInPlace() throws {
        var clustered = orders
        clustered.partitionedBy = []
        clustered.clusterBy = ["date"]
        var rekeyed = clustered
        rekeyed.clusterBy = ["order", "select"]
        var unclustered = clustered
        unclustered.clusterBy = []
        let changes = [change(.update, from: clustered, to: rekeyed), change(.update, from: clustered, to: unclustered)]
        #expect(changes.map(\.action) == [.update, .update])
        #expect(changes.allSatisfy { !$0.isDestructive })
        try assertSnapshot(try changes.flatMap(DatabricksSQL.statements(for:)), "cluster-by.sql")
    }

    @Test func namespaces() throws {
        let catalog = Change(id: ResourceID(.catalog, "main"), action: .create, observed: nil,
                             desired: Resource(id: ResourceID(.catalog, "main"), spec: .catalog(NamespaceSpec(comment: "it's main", owner: "data-eng"))))
        let schema = Change(id: ResourceID(.schema, "main.sales"), action: .create, observed: nil,
                            desired: Resource(id: ResourceID(.schema, "main.sales"), spec: .schema(NamespaceSpec(properties: ["a'": "b"]))))
        try assertSnapshot(try DatabricksSQL.statements(for: catalog) + DatabricksSQL.statements(for: schema), "namespaces.sql")
    }
}
