import ArgumentParser
import Model
import Service
import Workspace

struct ReleaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Lift the hold a rollback put on promotions into an environment.",
        discussion: """
        When the rollback pinned an environment that followed a branch (or the revision
        reconcile runs on), release writes a commit restoring that spec.source, so the
        environment follows it again; promotions into it may proceed.
        """
    )

    @OptionGroup var options: CommonOptions

    func validate() throws {
        guard options.env != nil else { throw ValidationError("release needs --env NAME") }
    }

    func run() async throws {
        try await runReporting(options) { context async throws(ReconcileError) in
            let name = options.env!
            switch try await Service(context).release(name) {
            case .notHeld:
                Console.out("\(name) is not held.\n")
            case .released(let hold, let restored, let pinMoved):
                var after = ""
                if let restored {
                    after = " \(name) follows \(Service.followedText(restored.source)) again (commit \(restored.commit)); run reconcile plan --env \(name) to see what that brings."
                } else if pinMoved {
                    after = " Its spec.source no longer holds the rollback's pin (\(hold.revision.prefix(7))), so it is left as it is."
                }
                Console.out("Released \(name): it was held since \(LockInfo.format(hold.since)) (\(hold.reason)); promotions into it may proceed.\(after)\n")
            }
            return 0
        }
    }
}

struct UnlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlock",
        abstract: "Remove an environment's apply lock whose holder is gone.",
        discussion: """
        Refuses while the holder still runs on this host. A holder whose liveness
        cannot be proven from here (another host, another PID namespace, no /proc):
        pass --force once you know nothing runs there.
        An apply the holder left unfinished is recorded as interrupted.
        """
    )

    @OptionGroup var options: CommonOptions

    @Flag(name: .long, help: "Remove a lock whose holder cannot be checked from here (another host or PID namespace).")
    var force: Bool = false

    func validate() throws {
        guard options.env != nil else { throw ValidationError("unlock needs --env NAME") }
    }

    func run() async throws {
        try await runReporting(options) { context async throws(ReconcileError) in
            let name = options.env!
            switch try await Service(context).unlock(name, force: force) {
            case .notLocked: Console.out("\(name) is not locked.\n")
            case .unlocked(let lock): Console.out("Unlocked \(name) (was: \(lock.description)).\n")
            }
            return 0
        }
    }
}
