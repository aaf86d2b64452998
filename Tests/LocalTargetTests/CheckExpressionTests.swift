import Foundation
import Testing
import Model
@testable import LocalTarget

/// The CHECK expressions the data checker evaluates, and the ones it refuses to guess at.
@Suite struct CheckExpressionTests {
    func holds(_ text: String, _ row: [String: Value]) throws -> Bool? {
        try CheckParser.parse(text).holds(row)
    }

    @Test func comparisonsLogicAndNullsFollowSQL() throws {
        let row: [String: Value] = ["amount": 5, "status": "open", "note": .null, "day": "2024-03-01"]
        #expect(try holds("amount > 0", row) == true)
        #expect(try holds("amount >= 5 AND `status` = 'open'", row) == true)
        #expect(try holds("amount < 0 OR status <> 'open'", row) == false)
        #expect(try holds("note = 'x'", row) == nil, "NULL compared is NULL, which fails a CHECK")
        #expect(try holds("note IS NULL AND NOT (amount BETWEEN 6 AND 9)", row) == true)
        #expect(try holds("status IN ('open', 'closed') AND status NOT IN ('gone')", row) == true)
        #expect(try holds("note IN ('a', NULL)", row) == nil)
        #expect(try holds("day > DATE '2024-01-01' AND day <= '2024-03-01'", row) == true)
        #expect(try holds("amount = -5 OR amount != 5", row) == false)
        #expect(try holds("(amount > 1 OR note IS NOT NULL) AND TRUE", row) == true)
    }

    @Test func whatItDoesNotEvaluateIsSaid() {
        let cases = [
            "length(status) > 0": "the function length()",
            "amount + 1 > 0": "\"+\"",
            "status LIKE 'o%'": "\"LIKE\"",
            "amount > ": "ends early",
            "'open": "unclosed",
        ]
        for (text, reason) in cases {
            #expect {
                _ = try CheckParser.parse(text)
            } throws: { error in
                (error as? CheckExpression.Unsupported)?.reason.contains(reason) == true
            }
        }
        #expect(throws: CheckExpression.Unsupported.self) { try CheckParser.parse(String(repeating: "(", count: 100) + "a" + String(repeating: ")", count: 100)) }
    }

    @Test func statisticsProveOnlyWhatTheyBound() throws {
        let columns: [String: DataChecker.ColumnInfo] = ["amount": .init(physical: "col-1", type: .long, partition: false),
                                                         "name": .init(physical: "name", type: .string, partition: false)]
        let stats: [String: Any] = ["numRecords": 10, "nullCount": ["col-1": 0, "name": 2],
                                    "minValues": ["col-1": 3, "name": "a"], "maxValues": ["col-1": 9, "name": "z"]]
        func proves(_ text: String) throws -> Bool { DataChecker.proves(try CheckParser.parse(text), stats: stats, columns: columns) }
        #expect(try proves("amount > 2"))
        #expect(try proves("amount BETWEEN 3 AND 9 AND amount IS NOT NULL"))
        #expect(try proves("0 < amount"))
        #expect(try !proves("amount > 3"), "the minimum is 3: a row may be 3")
        #expect(try !proves("name >= 'a'"), "name has nulls, which fail")
        #expect(try proves("amount <> 10"))
        #expect(try !proves("amount IN (3, 9)"), "not decided by bounds: the rows are read")
    }
}
