import Foundation
import Synchronization
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The watch server stays up for everyone while many clients drip bytes (#17).
@Suite(.serialized) struct ServerLimitsTests {
    @Test func healthzAnswersWhileSlowClientsHoldConnectionsUnderOFREPLoad() throws {
        let project = try WatchTests().project()
        let watcher = try Watcher(project, arguments: ["--env", "dev"], interval: "1h")
        try watcher.wait(20, "the first cycle") { try watcher.status()["lastAppliedRevision"] as? String != nil }
        let slowCount = min(1_200, Self.openFileLimit() - 300)
        // Slow clients: a request head that never ends.
        let slow = (0..<slowCount).map { _ in WatchStartupTests.connect(port: watcher.port) }
        defer { slow.forEach { if $0 >= 0 { close($0) } } }
        #expect(slow.allSatisfy { $0 >= 0 }, "every slow client connected")
        for fd in slow { WatchStartupTests.send(fd, "GET /healthz HTTP/1.1\r\nHost: test\r\nX-Slow: ") }
        // OFREP load beside them.
        let stop = Flag()
        let load = (0..<4).map { _ in
            Thread { while !stop.isSet { _ = Self.exchange(port: watcher.port, "POST /ofrep/v1/evaluate/flags HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}") } }
        }
        load.forEach { $0.start() }
        var latencies: [Double] = []
        for _ in 0..<20 {
            let started = Date()
            let answer = Self.exchange(port: watcher.port, "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            latencies.append(Date().timeIntervalSince(started))
            #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer.prefix(200))")
            usleep(50_000)
        }
        stop.set()
        latencies.sort()
        let median = latencies[latencies.count / 2]
        #expect(median < 0.1, "median /healthz \(Int(median * 1000)) ms with \(slowCount) slow clients and OFREP load; all: \(latencies.map { Int($0 * 1000) })")
        // The head deadline (10 s) closes the slow clients.
        usleep(11_500_000)
        let closed = slow.prefix(50).filter { WatchStartupTests.receive($0, seconds: 1).isEmpty && Self.isClosed($0) }.count
        #expect(closed == 50, "slow clients are closed once their head deadline passes (\(closed) of 50)")
        #expect(watcher.stop() == 0)
    }

    final class Flag: Sendable {
        private let value = Mutex(false)
        var isSet: Bool { value.withLock { $0 } }
        func set() { value.withLock { $0 = true } }
    }

    /// One request on a fresh connection; the answer's first bytes.
    static func exchange(port: Int, _ request: String) -> String {
        let fd = WatchStartupTests.connect(port: port)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        WatchStartupTests.send(fd, request)
        return WatchStartupTests.receive(fd, seconds: 5)
    }

    static func isClosed(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_DONTWAIT)) == 0
    }

    /// The open-file limit of this process, raised to the hard limit first.
    static func openFileLimit() -> Int {
        var files = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &files) == 0 else { return 1024 }
        if files.rlim_cur < files.rlim_max {
            files.rlim_cur = files.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &files)
        }
        return Int(min(files.rlim_cur, 1 << 20))
    }
}
