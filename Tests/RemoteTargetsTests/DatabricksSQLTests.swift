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

    // MARK: Governance (#15)

    /// A mask or row filter the API shows in an unexpected shape is never "none".
    @Test func anUnreadableMaskOrFilterIsNeverNone() {
        #expect(DatabricksWorkspace.mask(.object(["name": "email"])) == nil)
        #expect(DatabricksWorkspace.mask(.object(["name": "email", "mask": .null])) == nil)
        #expect(DatabricksWorkspace.mask(.object(["mask": .object(["function_name": "main.s.f", "using_column_names": .array(["a"])])])) == ColumnMask(function: "main.s.f", using: ["a"]))
        #expect(DatabricksWorkspace.mask(.object(["mask": .object(["function": "main.s.f"])])) == ColumnMask(function: "(unreadable)"))
        #expect(DatabricksWorkspace.rowFilter(.object(["row_filter": .object(["name": "main.s.g"])])) == RowFilter(function: "main.s.g"))
        #expect(DatabricksWorkspace.rowFilter(.object(["row_filter": .object([:])])) == RowFilter(function: "(unreadable)"))
        #expect(DatabricksWorkspace.rowFilter(.object([:])) == nil)
    }

    static let redact = FunctionSpec(parameters: [.init(name: "value", type: .string), .init(name: "region", type: .varchar(8))], returns: .string,
                                     body: "CASE WHEN is_account_group_member('hr') THEN value ELSE '***' END", comment: "HR's view")

    /// A function created and dropped; a table created masked, filtered and tagged from its first statement.
    @Test func functionsAndAGovernedNewTable() throws {
        let id = ResourceID(.function, "main.sales.redact")
        let function = Change(id: id, action: .create, observed: nil, desired: Resource(id: id, spec: .function(Self.redact)))
        var governed = orders
        governed.columns[0].mask = ColumnMask(function: "main.sales.redact", using: ["date"])
        governed.columns[1].tags = ["pii": "true", "it's": "quoted"]
        governed.rowFilter = RowFilter(function: "main.sales.in_region", on: ["date", "select"])
        governed.tags = ["classification": "confidential"]
        let table = change(.create, from: nil, to: governed)
        let drop = Change(id: id, action: .delete, observed: Resource(id: id, spec: .function(Self.redact)), desired: nil)
        try assertSnapshot(try DatabricksSQL.statements(for: function) + DatabricksSQL.statements(for: table) + DatabricksSQL.statements(for: drop), "governance-create.sql")
    }

    /// Tags set, changed and removed; a mask and a row filter added, moved and dropped.
    @Test func governanceChangesInPlace() throws {
        var old = orders
        old.tags = ["classification": "internal", "owner": "sales"]
        old.columns[0].tags = ["pii": "false"]
        old.columns[1].mask = ColumnMask(function: "main.sales.redact")
        old.rowFilter = RowFilter(function: "main.sales.in_region", on: ["date"])
        var new = old
        new.tags = ["classification": "confidential"]
        new.columns[0].tags = [:]
        new.columns[0].mask = ColumnMask(function: "main.sales.redact", using: ["date"])
        new.columns[1].mask = nil
        new.columns.append(Column(name: "email", type: .string, tags: ["pii": "true"]))
        new.columns[5].mask = ColumnMask(function: "main.sales.redact")
        new.rowFilter = nil
        let change = change(.update, from: old, to: new)
        #expect(change.action == .update)
        #expect(change.isDestructive, "dropping a mask and a row filter opens data")
        var refiltered = old
        refiltered.rowFilter = RowFilter(function: "main.sales.in_region", on: ["date", "select"])
        let catalog = try #require(Planner.compare(observed: Resource(id: ResourceID(.catalog, "main"), spec: .catalog(NamespaceSpec(tags: ["a": "1", "b": "2"])), observation: Observation()),
                                                   desired: Resource(id: ResourceID(.catalog, "main"), spec: .catalog(NamespaceSpec(tags: ["a": "3"])))))
        try assertSnapshot(try DatabricksSQL.statements(for: change) + DatabricksSQL.statements(for: self.change(.update, from: old, to: refiltered))
                           + DatabricksSQL.statements(for: catalog), "governance-alter.sql")
    }
}
