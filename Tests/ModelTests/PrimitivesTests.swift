import Testing
@testable import Model

@Suite struct PrimitivesTests {
    @Test func durations() {
        #expect(Promotion.duration("90s") == 90)
        #expect(Promotion.duration("10m") == 600)
        #expect(Promotion.duration("1h30m") == 5400)
        #expect(Promotion.duration("2d") == 172_800)
        #expect(Promotion.duration("0") == 0)
        #expect(Promotion.duration("1 hour") == nil)
        #expect(Promotion.duration("h") == nil)
        #expect(Promotion.duration("15") == nil)
    }

    @Test func aDiagnosticKeepsItsSubjectAndAdviceButNotAHugeQuotedValue() {
        let value = String(repeating: "array<", count: 10_000)
        let message = "Table/t: spec.columns[0].type: invalid type \"\(value)\": quote it and try again"
        let bounded = Diagnostic.error(at: nil, message).message
        #expect(bounded.count <= Diagnostic.maxMessage + 40)
        #expect(bounded.hasPrefix("Table/t: spec.columns[0].type: invalid type"))
        #expect(bounded.hasSuffix("quote it and try again"))
        #expect(bounded.contains("…(\(message.count - 940) characters left out)…"))
        #expect(Diagnostic.error(at: nil, "short").message == "short")
    }
}

@Suite struct SafePathTests {
    @Test func pathsResolveAgainstTheProjectLexically() {
        #expect(SafePath.absolute(".lakehouse/dev", base: "/repo/teams/sales") == "/repo/teams/sales/.lakehouse/dev")
        #expect(SafePath.absolute("../../x/./y/", base: "/repo/a") == "/x/y")
        #expect(SafePath.absolute("/abs/../data", base: "/repo") == "/data")
        #expect(SafePath.absolute("../../../../..", base: "/repo/a") == "/")
    }

    @Test func systemDirectoriesAreNoLakehouseRoot() {
        for refused in ["/", "/etc", "/etc/reconcile", "/usr/local/lake", "/proc/1", "/tmp", "/var", "/home"] {
            #expect(SafePath.refusal(refused) != nil, "\(refused)")
        }
        for allowed in ["/tmp/lake", "/var/lib/reconcile", "/home/ana/lake", "/data/lakehouse"] {
            #expect(SafePath.refusal(allowed) == nil, "\(allowed)")
        }
    }
}

/// A column keeps its rarely set fields (renamedFrom, tags, mask) in a shared box:
/// value semantics, equality and hashing stay field by field.
@Suite struct ColumnTests {
    @Test func rareFieldsBehaveAsValues() {
        var plain = Column(name: "id", type: .long)
        #expect(plain.renamedFrom == nil && plain.tags == nil && plain.mask == nil)
        let copy = plain
        plain.tags = ["pii": "email"]
        plain.mask = ColumnMask(function: "main.f.redact", using: ["id"])
        #expect(copy.tags == nil && copy.mask == nil, "setting a field on one copy leaves the other alone")
        #expect(plain.tags == ["pii": "email"] && plain.mask?.function == "main.f.redact")
        #expect(plain != copy)

        var same = Column(name: "id", type: .long, tags: ["pii": "email"])
        same.mask = ColumnMask(function: "main.f.redact", using: ["id"])
        #expect(plain == same, "equal by fields, not by box")
        #expect(plain.hashValue == same.hashValue)

        plain.tags = nil
        plain.mask = nil
        #expect(plain == copy, "clearing every rare field is the plain column again")
        #expect(Set([plain, copy]).count == 1)
        #expect(Column(name: "id", type: .long, renamedFrom: "key") != copy)
    }
}
