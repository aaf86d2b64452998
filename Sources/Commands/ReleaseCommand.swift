import Workspace
import ArgumentParser
import Model

struct ReleaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Lift the hold a rollback put on promotions into an environment."
    )

    @OptionGroup var options: CommonOptions

    func validate() throws {
        guard options.env != nil else { throw ValidationError("release needs --env NAME") }
    }

    func run() throws {
        try runReporting(options) { context throws(CommandFailure) in
            let environment = try context.environment(options.env!)
            guard let store = try context.existingStore(for: environment) else {
                Console.out("\(environment.name) is not held.\n")
                return 0
            }
            do throws(TargetError) {
                guard let hold = try store.hold(environment.name) else {
                    Console.out("\(environment.name) is not held.\n")
                    return 0
                }
                try store.releaseHold(environment.name)
                Console.out("Released \(environment.name): it was held since \(LockInfo.format(hold.since)) (\(hold.reason)); promotions into it may proceed.\n")
            } catch {
                throw CommandFailure(error.description)
            }
            return 0
        }
    }
}

struct UnlockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlock",
        abstract: "Remove an environment's apply lock whose holder is gone.",
        discussion: """
        Refuses while the holder still runs on this host. A holder on another host
        cannot be checked from here: pass --force once you know nothing runs there.
        An apply the holder left unfinished is recorded as interrupted.
        """
    )

    @OptionGroup var options: CommonOptions

    @Flag(name: .long, help: "Remove a lock held from another host.")
    var force: Bool = false

    func validate() throws {
        guard options.env != nil else { throw ValidationError("unlock needs --env NAME") }
    }

    func run() throws {
        try runReporting(options) { context throws(CommandFailure) in
            let environment = try context.environment(options.env!)
            guard let store = try context.existingStore(for: environment) else {
                Console.out("\(environment.name) is not locked.\n")
                return 0
            }
            do throws(TargetError) {
                guard let lock = try store.currentLock(environment.name) else {
                    Console.out("\(environment.name) is not locked.\n")
                    return 0
                }
                switch ProcessIdentity.isAlive(lock) {
                case true?:
                    throw TargetError(nil, "\(environment.name) is locked by \(lock.description), which is still running; wait for it")
                case nil where !force:
                    throw TargetError(nil, "\(environment.name) is locked by \(lock.description) on another host; if nothing runs there, pass --force")
                default:
                    try context.recoverInterrupted(environment, store: store)
                    try store.breakLock(environment.name)
                    Console.out("Unlocked \(environment.name) (was: \(lock.description)).\n")
                }
            } catch {
                throw CommandFailure(error.description)
            }
            return 0
        }
    }
}
