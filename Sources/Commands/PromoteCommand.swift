import ArgumentParser
import Model
import Rendering
import Service
import Workspace

struct PromoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Pin environment TO to the revision FROM last applied, after checking the gates.",
        discussion: """
        Gates, as TO's spec.promotion asks: FROM applied what its source says (nothing
        pending), FROM has not drifted, and FROM's apply has soaked long enough; TO is
        not held after a rollback; TO renders and validates at the revision (its plan
        is shown). Then a commit on the current branch pins TO
        (environments/TO.yaml: spec.source.revision), naming from, to, revision and
        actor. Apply TO afterwards.
        """
    )

    @Argument(help: "The environment whose applied revision moves on.")
    var from: String

    @Argument(help: "The environment to pin to it.")
    var to: String

    @OptionGroup var options: PinningOptions

    @OptionGroup var windowFlags: WindowFlags

    func validate() throws {
        guard options.env == nil else { throw ValidationError("promote names its environments as arguments: reconcile promote FROM TO") }
        guard from != to else { throw ValidationError("promote needs two different environments") }
        guard !options.worktree, options.revision == "HEAD" else {
            throw ValidationError("promote writes a commit on the current branch, so it reads HEAD; drop --revision and --worktree")
        }
    }

    func run() async throws {
        try await runReporting(options.read, output: options.output) { context async throws(ReconcileError) in
            let result = try await Service(context, windowOverride: windowFlags.overrideWindow).promote(from: from, to: to) { event in
                if case .planned(let plan, let run) = event { Console.out(PlanRenderer.render(plan, as: options.output, style: Console.stdoutStyle, run: run) + "\n") }
            }
            switch result {
            case .alreadyPinned(let revision):
                Console.out("\(to) is already pinned to \(revision.prefix(7)); nothing to promote.\n")
            case .promoted(let revision, let commit):
                Console.out("Promoted \(from) → \(to): pinned \(to) to \(revision.prefix(7)) in commit \(commit). Run reconcile apply --env \(to) to apply it.\n")
            }
            return 0
        }
    }
}

/// Promote's options: it reads HEAD of the current branch (it commits there) and
/// names its environments as arguments, so `--env`, `--revision` and `--worktree` are
/// not offered (still understood, to say why they do not apply).
struct PinningOptions: ParsableArguments {
    @Option(name: .long, help: "The git repository (default: the one containing the current directory).")
    var repo: String?

    @Option(name: .long, help: "The project's directory in the repository.")
    var path: String?

    @Option(name: .long, help: "Output format: human, json or markdown.")
    var output: OutputFormat = .human

    @Option(name: .long, help: .hidden)
    var env: String?

    @Option(name: .long, help: .hidden)
    var revision: String = "HEAD"

    @Flag(name: .long, help: .hidden)
    var worktree: Bool = false

    var read: ReadOptions { ReadOptions(repo: repo, revision: revision, worktree: worktree, path: path) }
}
