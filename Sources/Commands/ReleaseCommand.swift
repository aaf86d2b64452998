import Workspace
import ArgumentParser
import Model

struct ReleaseCommand: ParsableCommand {
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

    func run() throws {
        try runReporting(options) { context throws(CommandFailure) in
            let environment = try context.environment(options.env!)
            guard let store = try context.existingStore(for: environment) else {
                Console.out("\(environment.name) is not held.\n")
                return 0
            }
            do {
                guard let hold = try store.hold(environment.name) else {
                    Console.out("\(environment.name) is not held.\n")
                    return 0
                }
                // Restore what the rollback's pin replaced, if the pin is still the rollback's.
                var restored = ""
                if let followed = hold.followed, case .revision(let pinned) = environment.source,
                   (try? context.repository.resolve(pinned))?.id.hex == hold.revision {
                    let what: String
                    switch followed {
                    case .branch(let branch): what = "the branch \(branch)"
                    case .current: what = "the revision reconcile runs on"
                    case .revision(let revision): what = "revision \(revision.prefix(7))"
                    }
                    let commit = try runCommand { () throws(CommandFailure) in
                        try context.setSource(environment, to: followed, message: """
                            release \(environment.name): follow \(what) again

                            Released-Hold: \(hold.reason)
                            Actor: \(context.actor)
                            """)
                    }
                    restored = " \(environment.name) follows \(what) again (commit \(commit.id.short)); run reconcile plan --env \(environment.name) to see what that brings."
                } else if hold.followed != nil {
                    // Someone moved the pin since the rollback: theirs stands.
                    restored = " Its spec.source no longer holds the rollback's pin (\(hold.revision.prefix(7))), so it is left as it is."
                }
                try store.releaseHold(environment.name)
                Console.out("Released \(environment.name): it was held since \(LockInfo.format(hold.since)) (\(hold.reason)); promotions into it may proceed.\(restored)\n")
            } catch let error as TargetError {
                throw CommandFailure(error.description)
            } catch let failure as CommandFailure {
                throw failure
            } catch {
                throw CommandFailure("\(error)")
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
                switch ProcessIdentity.liveness(lock) {
                case .alive:
                    throw TargetError(nil, "\(environment.name) is locked by \(lock.description), which is still running; wait for it")
                case .unknown(let why) where !force:
                    throw TargetError(nil, "\(environment.name) is locked by \(lock.description), \(why); if nothing runs there, pass --force")
                case .dead, .unknown:
                    try context.recoverInterrupted(environment, store: store)
                    if let other = try store.replaceLock(environment.name, expected: lock, with: nil) {
                        throw TargetError(nil, "\(environment.name) changed hands while unlocking: now locked by \(other.description); run unlock again if that holder is gone too")
                    }
                    Console.out("Unlocked \(environment.name) (was: \(lock.description)).\n")
                }
            } catch {
                throw CommandFailure(error.description)
            }
            return 0
        }
    }
}

/// Runs a throwing body inside an untyped `do` (a typed failure passes through).
func runCommand<T>(_ body: () throws(CommandFailure) -> T) throws(CommandFailure) -> T { try body() }
