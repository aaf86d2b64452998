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
