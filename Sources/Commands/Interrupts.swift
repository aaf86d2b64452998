import Dispatch
import Foundation

/// SIGINT and SIGTERM while a command changes things: the first lets the change in
/// flight finish and be recorded, then the command stops (exit 130 or 143); a second
/// one exits at once (the journal covers the change it cuts, and the next run
/// recovers it).
final class Interrupts: @unchecked Sendable {
    static let shared = Interrupts()

    private let lock = NSLock()
    private var first: Int32?
    private var sources: [any DispatchSourceSignal] = []

    /// The first signal received, if any.
    var received: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return first
    }

    /// The exit code for a command stopped by `signal`: 128 + its number.
    static func exitCode(_ signal: Int32) -> Int32 { 128 + signal }

    /// Starts listening; idempotent.
    func install() {
        lock.lock()
        defer { lock.unlock() }
        guard sources.isEmpty else { return }
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in handle(number) }
            source.resume()
            sources.append(source)
        }
    }

    private func handle(_ number: Int32) {
        let name = number == SIGINT ? "SIGINT" : "SIGTERM"
        lock.lock()
        let isFirst = first == nil
        if isFirst { first = number }
        lock.unlock()
        if isFirst {
            Console.err("reconcile: \(name) received: finishing the change in flight, then stopping (send it again to stop at once)\n")
        } else {
            Console.err("reconcile: \(name) received again: stopping now; the next run recovers the change in flight from the journal\n")
            _exit(Self.exitCode(number))
        }
    }
}
