import Testing
import Model
@testable import Loading

/// Errors a user coming from YAML elsewhere, or from other engines, trips over say
/// what to write instead (#14).
@Suite struct HintTests {
    static func table(_ columns: String) -> String {
        """
        apiVersion: reconcile/v1
        kind: Table
        metadata: { name: main.s.t }
        spec:
          columns:
        \(columns)
        """
    }

    @Test func otherSystemsTypeNamesSuggestSparks() {
        let messages = render(Self.table("    - { name: id, type: int64 }")).diagnostics.map(\.message)
        #expect(messages.contains { $0.hasSuffix("unknown type \"int64\"; Spark calls it bigint") }, "\(messages)")
    }

    @Test func anUnquotedDecimalInFlowStyleSaysToQuoteItOnce() {
        let messages = render(Self.table("    - { name: amount, type: decimal(18,2) }")).diagnostics.map(\.message)
        #expect(messages.count == 1, "the split tail is not a second error: \(messages)")
        #expect(messages.first?.contains("inside { } or [ ] a comma ends the value, so quote the type: \"decimal(18,2)\"") == true, "\(messages)")
    }

    @Test func aTemplateInFlowStyleSaysToQuoteIt() {
        let messages = render(Self.table("    - { name: id, type: bigint, comment: ${var.catalog}.x }")).diagnostics.map(\.message)
        #expect(messages.contains { $0.contains("a value with ${…}, a comma or parentheses must be quoted") }, "\(messages)")
    }
}
