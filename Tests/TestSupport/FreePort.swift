import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Loopback ports for the servers tests start. The kernel picks a port no socket
/// holds (bind to port 0), and this process never hands the same port out twice,
/// so two servers of one test run cannot collide. Picking at random from a fixed
/// range did collide: the ranges lie inside Linux's ephemeral range (32768–60999),
/// where every outgoing connection of the suite also takes its local port.
public enum FreePort {
    private static let handedOut = Mutex<Set<Int>>([])

    /// A port that was free a moment ago; the server that binds it next wins it.
    public static func next() -> Int {
        for _ in 0..<100 {
            let port = kernelChoice()
            let fresh = handedOut.withLock { $0.insert(port).inserted }
            if fresh { return port }
        }
        fatalError("the kernel offered no fresh loopback port in 100 tries")
    }

    private static func kernelChoice() -> Int {
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(holder >= 0, "socket() failed: errno \(errno)")
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, length) == 0 && getsockname(holder, $0, &length) == 0 }
        }
        precondition(bound, "binding loopback port 0 failed: errno \(errno)")
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
