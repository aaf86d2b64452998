import Foundation
import Testing
import Model
@testable import Engine

@Suite struct AuditChainTests {
    /// A chain of `count` entries, sealed as a store does.
    static func chain(_ count: Int) -> [AuditRecord] {
        var records: [AuditRecord] = []
        for index in 1...count {
            let event = AuditEvent(kind: .apply, environment: "dev", actor: "Ada <ada@example.com>", at: Date(timeIntervalSince1970: Double(index)),
                                   revision: "abc\(index)", summary: "apply \(index) \"quoted\"\n\u{1}", details: ["outcome": "succeeded", "previous": "x"])
            let sealed = AuditChain.seal(event, sequence: index, previous: records.last?.hash ?? AuditRecord.genesis)
            records.append(AuditRecord(sequence: index, entry: sealed.entry, hash: sealed.hash))
        }
        return records
    }

    @Test func anUntouchedChainHoldsAndItsEntriesAreJSON() throws {
        let records = Self.chain(5)
        #expect(AuditChain.verify(records) == nil)
        #expect(AuditChain.verify([]) == nil)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(records[0].entry.utf8)) as? [String: Any])
        #expect(first["summary"] as? String == "apply 1 \"quoted\"\n\u{1}" && first["previous"] as? String == AuditRecord.genesis)
        #expect((first["details"] as? [String: String])?["previous"] == "x", "a detail cannot pose as the link")
        #expect(!records[0].entry.contains("\n"), "one line per entry")
    }

    @Test func aModifiedEntryIsFound() {
        var records = Self.chain(4)
        records[1].entry = records[1].entry.replacingOccurrences(of: "succeeded", with: "failed")
        #expect(AuditChain.verify(records) == AuditChain.Break(sequence: 2, reason: "its text does not match its hash: the entry was modified"))
    }

    @Test func aModifiedAndRehashedEntryBreaksTheNextLink() {
        var records = Self.chain(4)
        records[1].entry = records[1].entry.replacingOccurrences(of: "succeeded", with: "failed")
        records[1].hash = Digest.sha256Hex(Array(records[1].entry.utf8))
        #expect(AuditChain.verify(records)?.sequence == 3)
        #expect(AuditChain.verify(records)?.reason.contains("does not name entry 2's hash") == true)
    }

    @Test func aRemovedOrReorderedEntryIsFound() {
        var removed = Self.chain(4)
        removed.remove(at: 1)
        #expect(AuditChain.verify(removed)?.sequence == 3, "entry 3 sits where 2 belongs")
        var renumbered = removed
        renumbered[1].sequence = 2
        #expect(AuditChain.verify(renumbered)?.reason.contains("does not name entry 1's hash") == true)
        var swapped = Self.chain(3)
        swapped.swapAt(1, 2)
        #expect(AuditChain.verify(swapped)?.sequence == 3)
        var garbage = Self.chain(2)
        garbage[0].entry = "not json"
        garbage[0].hash = Digest.sha256Hex(Array("not json".utf8))
        #expect(AuditChain.verify(garbage)?.reason == "its text is not an audit entry")
    }
}
