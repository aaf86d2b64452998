import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// How watch decides from typed failures, and refuses to run without its server.
@Suite(.serialized) struct WatchStartupTests {
    @Test func aRefusedRevisionStallsAsPolicyRefused() throws {
        let project = try WatchTests().project()
        try project.write("environments/dev.yaml", try project.read("environments/dev.yaml").replacingOccurrences(of: "destructive: allow", with: "destructive: deny"))
        try project.commit("dev denies destructive changes")
        let daemon = try WatchTests.Daemon(serving: project)
        let watcher = try Watcher(project, arguments: ["--env", "dev", "--repo", daemon.url])
        try watcher.wait(20, "the first apply") { try watcher.status()["lastAppliedRevision"] as? String != nil }
        try project.write("manifests/silver/orders.yaml", Project.orders.replacingOccurrences(of: "partitionedBy: [order_date]", with: "partitionedBy: []"))
        try project.commit("unpartition: a replace")
        try daemon.push(project)
        try watcher.wait(10, "Stalled") { try watcher.condition("Stalled")?["status"] as? Bool == true }
        #expect(try watcher.condition("Stalled")?["reason"] as? String == "PolicyRefused", "decided by the failure's kind, not its words")
        #expect(watcher.stop() == 0)
    }

    @Test func aRevisionOverTheParseBudgetsStallsAndTheNextGoodOneRecovers() throws {
        let project = try WatchTests().project()
        let daemon = try WatchTests.Daemon(serving: project)
        let watcher = try Watcher(project, arguments: ["--env", "dev", "--repo", daemon.url])
        try watcher.wait(20, "the first apply") { try watcher.status()["lastAppliedRevision"] as? String != nil }
        let deep = String(repeating: "[", count: 8_707) + String(repeating: "]", count: 8_707)
        try project.write("manifests/hostile.yaml", "apiVersion: reconcile/v1\nkind: FeatureFlag\nmetadata: { name: deep }\nspec:\n  metadata:\n    x: \(deep)\n")
        try project.commit("8,707 nested brackets")
        try daemon.push(project)
        try watcher.wait(15, "Stalled") { try watcher.condition("Stalled")?["status"] as? Bool == true }
        #expect(try watcher.condition("Stalled")?["reason"] as? String == "ValidationFailed")
        #expect(try watcher.request("GET", "/healthz").status == 200, "alive and serving")
        try project.repo.git("rm", "-q", "manifests/hostile.yaml")
        let fixed = try project.commit("drop the hostile manifest")
        try daemon.push(project)
        try watcher.wait(15, "recovery") { try watcher.status()["lastAppliedRevision"] as? String == fixed }
        #expect(watcher.stop() == 0)
    }

    @Test func aPortInUseIsAnErrorNotASilentWatch() throws {
        let project = try WatchTests().project()
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, length) == 0 && listen(holder, 1) == 0 && getsockname(holder, $0, &length) == 0 }
        }
        try #require(bound)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let started = Date()
        let result = try Shell.run(Paths.reconcile, ["watch", "--env", "dev", "--listen", "127.0.0.1:\(port)", "--interval", "1h"], in: project.url)
        #expect(result.code == 1, "\(result.output)")
        #expect(result.stderr.contains("cannot listen on 127.0.0.1:\(port)") && result.stderr.contains("in use"), "\(result.output)")
        #expect(!result.output.contains("reconciling"), "nothing is reconciled by a watch that cannot serve")
        #expect(Date().timeIntervalSince(started) < 20)
    }

    @Test func readsCanRequireTheTokenAndARedeliveredWebhookTriggersOnce() throws {
        let project = try WatchTests().project()
        let refused = try Shell.run(Paths.reconcile, ["watch", "--env", "dev", "--require-token-for-reads", "--listen", "127.0.0.1:0"], in: project.url)
        #expect(refused.code == 1 && refused.stderr.contains("--require-token-for-reads needs a token"), "fails closed: \(refused.output)")
        let leaky = try Shell.run(Paths.reconcile, ["watch", "--env", "dev", "--repo", "https://bot:ghp_s3cret@example.com/lake.git"], in: project.url)
        #expect(leaky.code == 1 && leaky.stderr.contains("stored in the mirror's git config") && !leaky.output.contains("ghp_s3cret"), "\(leaky.output)")

        let watcher = try Watcher(project, arguments: ["--env", "dev", "--require-token-for-reads"],
                                  environment: ["RECONCILE_API_TOKEN": "t0ken", "RECONCILE_WEBHOOK_SECRET": "s3cret"], interval: "1h")
        try watcher.wait(20, "ready") { try watcher.request("GET", "/readyz").status == 200 }
        #expect(try watcher.request("GET", "/healthz").status == 200, "health stays open")
        for path in ["/metrics", "/api/v1/status", "/api/v1/plan", "/api/v1/history"] {
            #expect(try watcher.request("GET", path).status == 401, "\(path) needs the token")
            #expect(try watcher.request("GET", path, headers: ["Authorization: Bearer wrong"]).status == 401)
            #expect(try watcher.request("GET", path, headers: ["Authorization: Bearer t0ken"]).status != 401)
        }
        #expect(try watcher.request("POST", "/ofrep/v1/evaluate/flags", body: "{}").status == 401)

        let runs = { () throws -> Int in
            let text = try watcher.request("GET", "/metrics", headers: ["Authorization: Bearer t0ken"]).body
            return text.split(separator: "\n").filter { $0.hasPrefix("reconcile_runs_total") }.compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.map { Int($0) }.reduce(0, +)
        }
        let before = try runs()
        let body = "{\"ref\":\"refs/heads/main\"}"
        let signature = try Shell.check("sh", ["-c", "printf '%s' \"$0\" | openssl dgst -sha256 -hmac s3cret | sed 's/.*= //'", body]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let headers = ["X-Hub-Signature-256: sha256=\(signature)", "X-GitHub-Delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958"]
        #expect(try watcher.request("POST", "/hooks/git", body: body, headers: headers).status == 202)
        try watcher.wait(10, "the webhook's cycle") { try runs() == before + 1 }
        let again = try watcher.request("POST", "/hooks/git", body: body, headers: headers)
        #expect(again.status == 200 && again.body.contains("duplicate"), "a redelivery is acknowledged and ignored")
        usleep(1_500_000)
        #expect(try runs() == before + 1, "one delivery, one reconcile")
        #expect(watcher.stop() == 0)
    }
}

extension WatchStartupTests {
    /// Connections over the cap wait unread until a slot frees; then they are served.
    @Test func connectionsOverTheCapWaitAndAreServedWhenOneCloses() throws {
        let project = try WatchTests().project()
        let watcher = try Watcher(project, arguments: ["--env", "dev", "--max-connections", "3"], interval: "1h")
        try watcher.wait(20, "ready") { try watcher.request("GET", "/healthz").status == 200 }
        usleep(500_000)  // the readiness probes' connections close
        // Three idle connections hold every slot.
        let holders = (0..<3).map { _ in Self.connect(port: watcher.port) }
        #expect(holders.allSatisfy { $0 >= 0 })
        usleep(300_000)
        let waiting = Self.connect(port: watcher.port)
        try #require(waiting >= 0)
        defer { close(waiting) }
        Self.send(waiting, "GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        #expect(Self.receive(waiting, seconds: 1).isEmpty, "a fourth connection is not served while three are open")
        holders.forEach { close($0) }
        #expect(Self.receive(waiting, seconds: 10).hasPrefix("HTTP/1.1 200"), "served once a slot frees")
        #expect(watcher.stop() == 0)
    }

    static func connect(port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        return connected == 0 ? fd : -1
    }

    static func send(_ fd: Int32, _ text: String) {
        _ = text.utf8CString.withUnsafeBufferPointer { Glibc.write(fd, $0.baseAddress, $0.count - 1) }
    }

    /// What arrives within `seconds` (empty if nothing does).
    static func receive(_ fd: Int32, seconds: Int) -> String {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = Glibc.read(fd, &buffer, buffer.count)
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : ""
    }
}

/// Where watch keeps its mirror (#14): in the user's cache directory, never as an
/// untracked folder in the working tree that `git add -A` would commit.
@Suite struct WatchMirrorTests {
    @Test func theMirrorLivesInTheCacheDirectoryNotTheWorkingTree() throws {
        let project = try Project()
        let cache = try TemporaryDirectory()
        let watcher = try Watcher(project, arguments: ["--env", "dev"], environment: ["XDG_CACHE_HOME": cache.url.path], interval: "1h")
        _ = watcher
        let mirrors = try FileManager.default.contentsOfDirectory(atPath: cache.url.appendingPathComponent("reconcile/watch").path)
        #expect(mirrors.count == 1 && mirrors[0].hasSuffix("-dev.git"), "\(mirrors)")
        let status = try Shell.run("git", ["status", "--porcelain", "--untracked-files=all"], in: project.url)
        #expect(!status.stdout.contains(".reconcile/watch"), "the working tree stays clean of the mirror: \(status.stdout)")
    }
}
