import Testing
import Model
import Rendering
@testable import Engine

@Suite struct TableDiffTests {
    let name = "main.silver.orders"

    func change(_ old: [Column], _ new: [Column], hasData: Bool = false, oldPartitions: [String] = [], newPartitions: [String] = []) -> Change? {
        Planner.compare(observed: Fixture.table(name, old, partitionedBy: oldPartitions, hasData: hasData),
                        desired: Fixture.table(name, new, partitionedBy: newPartitions))
    }

    @Test func identicalTablesHaveNoChange() {
        #expect(change(Fixture.orders, Fixture.orders) == nil)
    }

    @Test func columnOrderIsNotAChange() {
        #expect(change(Fixture.orders, Fixture.orders.reversed()) == nil)
    }

    @Test func addingANullableColumnIsAnInPlaceUpdate() throws {
        let result = try #require(change(Fixture.orders, Fixture.orders + [Column(name: "email", type: .string)]))
        #expect(result.action == .update)
        #expect(!result.isDestructive)
        #expect(result.fields == [FieldChange(op: .add, path: "/columns/email", before: nil,
                                              after: .object(["type": .string("string"), "nullable": .bool(true)]))])
    }

    @Test func addingANotNullColumnToATableWithRowsIsAReplace() throws {
        let result = try #require(change(Fixture.orders, Fixture.orders + [Column(name: "email", type: .string, nullable: false)], hasData: true))
        #expect(result.action == .replace)
        #expect(result.destructiveReasons.first == .requiredColumnAdded(column: "email"))
    }

    @Test func narrowingATypeIsADestructiveReplace() throws {
        var new = Fixture.orders
        new[1].type = .integer
        let result = try #require(change(Fixture.orders, new))
        #expect(result.action == .replace)
        #expect(PlanText.reasons(result.destructiveReasons) == ["column \"amount\" changes type decimal(18,2) → int, which is not a widening and loses or rewrites data"])
        #expect(result.fields.map(\.path) == ["/columns/amount/type"])
    }

    @Test func whatChangesInPlaceIsTheTargetsAnswer() throws {
        let observed = Fixture.table(name, Fixture.orders, hasData: true)
        var widened = Fixture.orders
        widened[0].type = .long
        widened[1].type = .decimal(precision: 20, scale: 2)
        #expect(Planner.compare(observed: observed, desired: Fixture.table(name, widened))?.action == .update, "Delta widens in place")
        let strict = InPlaceChanges(typeChanges: .none, columnRename: false, columnDrop: false)
        let replaced = try #require(Planner.compare(observed: observed, desired: Fixture.table(name, widened), inPlace: strict))
        #expect(replaced.action == .replace && replaced.isDestructive, "a target that cannot change types replaces")
        let mapping = InPlaceChanges(typeChanges: .widening, columnRename: true, columnDrop: true)
        let dropped = try #require(Planner.compare(observed: observed, desired: Fixture.table(name, Array(Fixture.orders.prefix(2))), inPlace: mapping))
        #expect(dropped.action == .update, "with column mapping the table stays")
        #expect(dropped.destructiveReasons == [.columnDropped(column: "order_date")], "the column's data still goes")
    }

    @Test func wideningATypeIsInPlace() throws {
        var old = Fixture.orders
        old[0].type = .integer
        let result = try #require(change(old, Fixture.orders))
        #expect(result.action == .update)
        #expect(result.fields.first?.before == .string("int"))
        #expect(result.fields.first?.after == .string("bigint"))
    }

    static let mappingField = FieldChange(op: .add, path: "/properties/delta.columnMapping.mode", before: nil, after: .string("name"))

    @Test func droppingAColumnKeepsTheTableByTurningOnColumnMapping() throws {
        let result = try #require(change(Fixture.orders, Array(Fixture.orders.prefix(2)), hasData: true))
        #expect(result.action == .update, "the table and its other columns stay")
        #expect(result.fields.map(\.op) == [.remove, .add])
        #expect(result.fields.last == Self.mappingField)
        #expect(result.destructiveReasons == [.columnDropped(column: "order_date")], "the column's data still goes")
        #expect(Planner.featuresEnabled(by: result).map(\.subject) == [.tableFeatureEnabled(.columnMapping)])
        #expect(PlanText.notice(Planner.featuresEnabled(by: result)[0]).contains("raises the table's reader version to 2"))
    }

    @Test func withoutColumnMappingADropIsADestructiveReplace() throws {
        let noMapping = InPlaceChanges(typeChanges: .widening, columnRename: false, columnDrop: false)
        let result = try #require(Planner.compare(observed: Fixture.table(name, Fixture.orders, hasData: true),
                                                  desired: Fixture.table(name, Array(Fixture.orders.prefix(2))), inPlace: noMapping))
        #expect(result.action == .replace)
        #expect(result.fields.map(\.op) == [.remove])
    }

    @Test func renamedFromRenamesInPlaceWithoutLoss() throws {
        var renamed = Fixture.orders
        renamed[1] = Column(name: "total", type: renamed[1].type, nullable: renamed[1].nullable, renamedFrom: renamed[1].name)
        let result = try #require(change(Fixture.orders, renamed, hasData: true))
        #expect(result.action == .update)
        #expect(!result.isDestructive)
        #expect(result.fields == [FieldChange(op: .change, path: "/columns/total/name", before: .string(Fixture.orders[1].name), after: .string("total")),
                                  Self.mappingField])
        // Once applied, the table has the new name and column mapping: the manifest (still saying renamedFrom) matches it.
        var applied = Fixture.table(name, renamed.map { var column = $0; column.renamedFrom = nil; return column }, hasData: true)
        applied.spec = .table(TableSpec(columns: applied.table!.columns, properties: ["delta.columnMapping.mode": "name", "delta.columnMapping.maxColumnId": "3"]))
        #expect(Planner.compare(observed: applied, desired: Fixture.table(name, renamed)) == nil)
    }

    @Test func aRenameWithoutRenamedFromIsADropAndAnAdd() throws {
        var renamed = Fixture.orders
        renamed[1].name = "total"
        let result = try #require(change(Fixture.orders, renamed, hasData: true))
        #expect(result.destructiveReasons == [.columnDropped(column: Fixture.orders[1].name)])
    }

    @Test func wideningStorageTurnsOnTypeWideningButALongerVarcharDoesNot() throws {
        var old = Fixture.orders
        old[0].type = .integer
        let widened = try #require(change(old, Fixture.orders))
        #expect(widened.fields.last == FieldChange(op: .add, path: "/properties/delta.enableTypeWidening", before: nil, after: .string("true")))
        #expect(Planner.featuresEnabled(by: widened).map(\.subject) == [.tableFeatureEnabled(.typeWidening)])
        var short = Fixture.orders, long = Fixture.orders
        short[2].type = .varchar(10)
        long[2].type = .varchar(20)
        let lengthened = try #require(change(short, long))
        #expect(lengthened.fields.map(\.path) == ["/columns/\(Fixture.orders[2].name)/type"])
    }

    @Test func changingPartitionsIsADestructiveReplace() throws {
        let result = try #require(change(Fixture.orders, Fixture.orders, newPartitions: ["order_date"]))
        #expect(result.action == .replace)
        #expect(result.destructiveReasons.first == .partitioningChanges(from: [], to: ["order_date"]))
        #expect(PlanText.reasons(result.destructiveReasons).first?.hasPrefix("partition columns change from (none) to (order_date)") == true)
    }

    @Test func nullability() throws {
        var relaxed = Fixture.orders
        relaxed[0].nullable = true
        #expect(try #require(change(Fixture.orders, relaxed)).action == .update)
        var tightened = Fixture.orders
        tightened[1].nullable = false
        #expect(try #require(change(Fixture.orders, tightened, hasData: false)).action == .update)
        // With rows, in place once the rows are checked: unchecked, policy refuses it.
        let checked = try #require(change(Fixture.orders, tightened, hasData: true))
        #expect(checked.action == .update)
        #expect(checked.dataChecks == [CheckedData(.notNull(column: "amount"))])
        let plan = PolicyCheck.evaluate(Plan(environment: "dev", revision: "r", target: "t", changes: [checked]), policy: Policy(),
                                        desired: [], inventory: Inventory(environment: "dev"), options: .init(allowDestructive: true, allowUnverified: true))
        #expect(plan.changes[0].refusal == .dataViolates(CheckedData(.notNull(column: "amount"))), "never checked: refused whatever the overrides")
        #expect(PlanText.refusal(plan.changes[0].refusal!, of: checked) == "the table's rows were not checked for NOT NULL on column amount; run plan or apply again")
    }

    @Test func evidenceDecidesDataChecks() throws {
        var checked = CheckedData(.constraint(name: "positive", expression: "amount > 0"))
        #expect(!checked.permits(allowingUnverified: true))
        checked.evidence = DataEvidence(.holds, files: 4, fromStatistics: 3)
        #expect(checked.permits(allowingUnverified: false))
        #expect(PlanText.evidence(checked) == "every row in 4 files satisfies CHECK positive (amount > 0) (3 from statistics, 1 read)")
        checked.evidence = DataEvidence(.violated, failingRows: 3, failingFiles: 2, files: 4)
        #expect(!checked.permits(allowingUnverified: true))
        #expect(PlanText.evidence(checked) == "3 rows in 2 files do not satisfy CHECK positive (amount > 0)")
        checked.evidence = DataEvidence(.unverifiable("why"))
        #expect(checked.permits(allowingUnverified: true) && !checked.permits(allowingUnverified: false))
        checked.evidence = DataEvidence(.checkedByTarget)
        #expect(checked.permits(allowingUnverified: false))
    }

    @Test func propertiesConstraintsAndCommentsAreInPlace() throws {
        let old = Fixture.table(name, Fixture.orders, properties: ["a": "1", "b": "2"], constraints: ["c1": "amount > 0"], hasData: true)
        let new = Fixture.table(name, Fixture.orders, properties: ["a": "1", "b": "3", "d": "4"], constraints: ["c2": "order_id > 0"], comment: "new")
        let result = try #require(Planner.compare(observed: old, desired: new))
        #expect(result.action == .update)
        #expect(!result.isDestructive)
        #expect(Set(result.fields.map(\.path)) == ["/comment", "/properties/b", "/properties/d", "/constraints/c1", "/constraints/c2"])
        #expect(result.fields.first { $0.path == "/properties/b" }?.op == .change)
        #expect(result.fields.first { $0.path == "/constraints/c1" }?.op == .remove)
    }

    @Test func namespacesDiffFieldByField() throws {
        let result = try #require(Planner.compare(observed: Fixture.catalog("main"), desired: Fixture.catalog("main", comment: "hi")))
        #expect(result.action == .update)
        #expect(result.fields == [FieldChange(op: .add, path: "/comment", before: nil, after: .string("hi"))])
    }
}
