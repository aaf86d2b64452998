import Testing
@testable import Model

@Suite struct PrimitivesTests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func sha256(input: String, digest: String) {
        #expect(SHA256.hex(Array(input.utf8)) == digest)
    }

    @Test func sha256OfAMillionA() {
        #expect(SHA256.hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

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
