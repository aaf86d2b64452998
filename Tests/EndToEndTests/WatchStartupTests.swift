import Foundation
import Testing
import TestSupport

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
}
