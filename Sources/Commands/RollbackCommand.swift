import Workspace
import ArgumentParser
import Engine
import Foundation
import GitStore
import Model
import Rendering

struct RollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Pin an environment back to a revision it applied successfully before, and hold promotions into it.",
        discussion: """
        Picks the revision (--to REV, or --steps N back, default 1) from history, writes
        the pin commit, holds promotion into the environment until reconcile release,
        and shows the plan; --apply applies it. Rollback keeps data: what the older
        revision lacks (a column added since, a version, a table) stays, and the plan
        says so, unless --allow-destructive.
        """
    )

    @OptionGroup var options: CommonOptions

    @Option(name: .long, help: "The revision to go back to; it must have been applied successfully here.")
    var to: String?

    @Option(name: .long, help: "How many successfully applied revisions to go back.")
    var steps: Int?

    @Flag(name: .long, help: "Apply the rolled-back revision now.")
    var apply: Bool = false

    @OptionGroup var policyFlags: PolicyFlags

    func validate() throws {
        guard options.env != nil else { throw ValidationError("rollback needs --env NAME") }
        if to != nil && steps != nil { throw ValidationError("--to and --steps exclude each other") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
    }

    func run() throws {
        try runReporting(options) { context throws(CommandFailure) in
            let environment = try context.environment(options.env!)
            guard let store = try context.existingStore(for: environment) else {
                throw CommandFailure("environment \(environment.name) has no recorded applies to roll back to")
            }
            let (current, wanted) = try select(context, environment, store: store)
            try pin(context, environment, store: store, from: current, to: wanted)
            let state = try context.desired(environment, at: wanted)
            let target = context.target(for: environment)
            let plan = { () throws(CommandFailure) -> Plan in
                let plan = try context.plan(state, target: target, store: store, options: policyFlags.options)
                return policyFlags.allowDestructive ? plan : Preservation.apply(plan)
            }
            guard apply else {
                let shown = try plan()
                Console.out(PlanRenderer.render(shown, as: options.output, style: Console.stdoutStyle))
                if shown.hasChanges { Console.out("\nRun reconcile rollback with --apply, or reconcile apply --env \(environment.name), to apply it.\n") }
                return shown.hasChanges ? 2 : 0
            }
            return try context.withLock(environment, store: store, command: "rollback") { () throws(CommandFailure) in
                try context.execute(try plan(), on: target, store: store, kind: .rollback, output: options.output)
            }
        }
    }

    /// The revision applied now and the one to go back to, from history (pure
    /// `RollbackSelection`), with the refusal in words.
    func select(_ context: Context, _ environment: Environment, store: any StateStore) throws(CommandFailure) -> (current: String, wanted: String) {
        let history: [ApplyRecord]
        do throws(TargetError) { history = try store.history(environment.name, limit: 10_000) } catch { throw CommandFailure(error.description) }
        var resolved: String?
        if let to {
            do throws(GitError) { resolved = try context.repository.resolve(to).id.hex } catch {
                throw CommandFailure("unknown revision \"\(to)\": \(error.message)")
            }
        }
        switch RollbackSelection.select(history, to: resolved, steps: steps) {
        case .success(let choice):
            return choice
        case .failure(.nothingApplied):
            throw CommandFailure("environment \(environment.name) has no successful apply to roll back from")
        case .failure(.notApplied(let revision, let current, let earlier)):
            let list = earlier.map { String($0.prefix(7)) }.joined(separator: ", ")
            throw CommandFailure("\(revision.prefix(7)) was never applied successfully to \(environment.name) before \(current.prefix(7)); earlier applied revisions: \(list.isEmpty ? "none" : list)")
        case .failure(.tooFew(let earlier, let back)):
            throw CommandFailure("environment \(environment.name) has applied only \(earlier) earlier revision\(earlier == 1 ? "" : "s"); cannot go back \(back)")
        }
    }

    /// Writes the pin commit (unless already pinned there) and the hold, which records
    /// what the environment followed so release can restore it.
    func pin(_ context: Context, _ environment: Environment, store: any StateStore, from current: String, to wanted: String) throws(CommandFailure) {
        if case .revision(let pinned) = environment.source, (try? context.repository.resolve(pinned))?.id.hex == wanted {
            // A rollback shown and not applied, say: no second commit.
            Console.out("\(environment.name) is already pinned to \(wanted.prefix(7)); no new commit.\n\n")
        } else {
            let commit = try context.pin(environment, to: wanted, message: """
                rollback \(environment.name) to \(wanted.prefix(7))

                Rollback-Of: \(current)
                Revision: \(wanted)
                Actor: \(context.actor)
                """)
            let follows: String
            switch environment.source {
            case .branch(let branch): follows = " It followed the branch \(branch): release restores that."
            case .current: follows = " It followed the revision reconcile runs on: release restores that."
            case .revision: follows = ""
            }
            Console.out("Rolled back \(environment.name) to \(wanted.prefix(7)) in commit \(commit.id.short); promotion into \(environment.name) is held until reconcile release --env \(environment.name).\(follows)\n\n")
        }
        do throws(TargetError) {
            var followed: SourceSpec?
            switch environment.source {
            case .branch, .current: followed = environment.source
            case .revision: followed = try store.hold(environment.name)?.followed  // kept from an earlier rollback
            }
            try store.setHold(Hold(environment: environment.name, reason: "rolled back from \(current.prefix(7)) to \(wanted.prefix(7))",
                                   revision: wanted, actor: context.actor, since: Date(), followed: followed))
        } catch {
            throw CommandFailure(error.description)
        }
    }
}
