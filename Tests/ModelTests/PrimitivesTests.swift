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
