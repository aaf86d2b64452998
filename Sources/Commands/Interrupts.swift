import Dispatch
import Foundation
import Synchronization

/// SIGINT and SIGTERM while a command changes things: the first lets the change in
/// flight finish and be recorded, then the command stops (exit 130 or 143); a second
/// one exits at once (the journal covers the change it cuts, and the next run
/// recovers it).
final class Interrupts: Sendable {
    static let shared = Interrupts()

    /// The first signal received, and the dispatch sources listening (kept alive).
    private let state = Mutex<(first: Int32?, sources: [any DispatchSourceSignal])>((nil, []))

    /// The first signal received, if any.
    var received: Int32? { state.withLock { $0.first } }

    /// The exit code for a command stopped by `signal`: 128 + its number.
    static func exitCode(_ signal: Int32) -> Int32 { 128 + signal }

    /// Starts listening; idempotent.
    func install() {
        state.withLock { state in
            guard state.sources.isEmpty else { return }
            for number in [SIGINT, SIGTERM] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { [self] in handle(number) }
                source.resume()
                state.sources.append(source)
            }
        }
    }

    private func handle(_ number: Int32) {
        let name = number == SIGINT ? "SIGINT" : "SIGTERM"
        let isFirst = state.withLock { state in
            guard state.first == nil else { return false }
            state.first = number
            return true
        }
        if isFirst {
            Console.err("reconcile: \(name) received: finishing the change in flight, then stopping (send it again to stop at once)\n")
        } else {
            Console.err("reconcile: \(name) received again: stopping now; the next run recovers the change in flight from the journal\n")
            _exit(Self.exitCode(number))
        }
    }
}
