import ArgumentParser
import Engine
import Foundation
import Model
import Rendering
import Service
import Workspace

struct PreviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Create and destroy ephemeral preview environments for pull requests.",
        discussion: """
        A preview is a copy of an environment with a place of its own: a local target's \
        root <path> becomes <path>-preview-NAME, a Databricks catalog ${var.catalog} \
        becomes <catalog>_preview_NAME (hyphens as underscores), and spec.state.path gets \
        the same suffix. It applies the revision being planned, adopts nothing (a resource \
        that exists already is refused), and destroy deletes exactly what it created. An \
        environment routing models to MLflow cannot have previews (a registry has no \
        namespace to copy into).
        """,
        subcommands: [PreviewCreateCommand.self, PreviewDestroyCommand.self]
    )
}

/// What both preview commands read: the repository, never an environment by --env.
struct PreviewOptions: ParsableArguments {
    @Argument(help: "The preview's name (\(Preview.nameRule)).")
    var name: String

    @Option(name: .long, help: "The git repository (default: the one containing the current directory).")
    var repo: String?

    @Option(name: .long, help: "The project's directory in the repository.")
    var path: String?

    @Option(name: .long, help: "Output format: human, json or markdown.")
    var output: OutputFormat = .human

    @Flag(name: .long, help: "Apply without asking when the environment has policy.confirm: true.")
    var yes: Bool = false

    @Option(name: .long, help: .hidden)
    var env: String?

    func validate() throws {
        guard env == nil else { throw ValidationError("a preview is named by its argument and derived with --from ENV; drop --env") }
        guard Preview.isValidName(name) else { throw ValidationError("\"\(name)\" cannot name a preview: it must be \(Preview.nameRule)") }
    }

    func control(_ printer: ApplyPrinter) -> ApplyControl {
        var control = printer.control
        let yes = self.yes
        control.confirm = { plan in yes ? .yes : Console.ask(plan) }
        return control
    }
}

struct PreviewCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create or update preview NAME of environment --from at the revision being planned.",
        discussion: "Running it again (a new push to the pull request) applies the new revision to the same preview. Exit 0 applied, 1 error or refusal."
    )

    @OptionGroup var options: PreviewOptions

    @Option(name: .long, help: "The environment to derive the preview from.")
    var from: String

    @Option(name: .long, help: "The revision to apply: a branch, tag, sha or HEAD~n.")
    var revision: String = "HEAD"

    @Flag(name: .long, help: "Apply the working tree instead of a revision (the environment must allow it).")
    var worktree: Bool = false

    @OptionGroup var policyFlags: PolicyFlags

    func validate() throws {
        if worktree && revision != "HEAD" { throw ValidationError("--worktree and --revision exclude each other: the working tree has no revision") }
    }

    func run() async throws {
        let read = ReadOptions(repo: options.repo, revision: revision, worktree: worktree, path: options.path)
        let (name, from, output, policy) = (options.name, self.from, options.output, policyFlags.options)
        let printer = ApplyPrinter(output)
        try await runReporting(read, output: output) { context async throws(ReconcileError) in
            let project = try PreviewProject(context, name: name, from: from)
            let result = try await Service(project).apply(project.preview.name, policy: policy, command: "preview create", control: options.control(printer))
            let code = try printer.finish(result.report, run: result.run)
            if output != .json {
                let places = context.previewPlaces(project.preview).joined(separator: " and ")
                Console.out("\nPreview \(project.preview.name) is at \(places). Destroy it with: reconcile preview destroy \(name) --from \(from)\n")
            }
            return code
        }
    }
}

struct PreviewDestroyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destroy",
        abstract: "Delete everything preview NAME created, then its root and state.",
        discussion: """
        Deletes exactly what the preview's inventory holds (protected resources too: a \
        preview adopts nothing, so all of it is its own), then removes its local roots \
        when they hold nothing else, and its state file. Without --from, the preview is \
        looked up among every environment's. Exit 0 destroyed or nothing to destroy, 1 \
        error (what was deleted is recorded; run it again).
        """
    )

    @OptionGroup var options: PreviewOptions

    @Option(name: .long, help: "The environment the preview was derived from (default: the one whose preview NAME has state).")
    var from: String?

    func run() async throws {
        let read = ReadOptions(repo: options.repo, path: options.path)
        let (name, from, output) = (options.name, self.from, options.output)
        let printer = ApplyPrinter(output)
        try await runReporting(read, output: output) { context async throws(ReconcileError) in
            let project: PreviewProject
            if let from {
                project = try PreviewProject(context, name: name, from: from)
            } else {
                let found = try PreviewProject.existing(name, in: context)
                guard found.count <= 1 else {
                    throw ReconcileError("previews named \(name) exist of environments \(found.map(\.from).joined(separator: ", ")); pass --from ENV to say which", kind: .invalid)
                }
                guard let only = found.first else {
                    Console.out(Self.nothing("no environment has a preview named \(name) with state", output: output))
                    return 0
                }
                project = only
            }
            guard let result = try await Service(project).destroyPreview(project.preview.name, control: options.control(printer)) else {
                let state = context.stateLocation(for: project.preview).display
                Console.out(Self.nothing("preview \(project.preview.name) has no state (\(state)), so it never applied anything", output: output))
                return 0
            }
            let code = try printer.finish(result.report, run: result.run)
            guard code == 0 else { return code }
            let removed = try context.removePreviewLeftovers(project.preview)
            if output != .json {
                Console.out("\nPreview \(project.preview.name) is destroyed\(removed.isEmpty ? "" : "; removed \(removed.joined(separator: " and "))").\n")
            }
            return 0
        }
    }

    static func nothing(_ why: String, output: OutputFormat) -> String {
        switch output {
        case .json: return JSONText.encode(.object(["formatVersion": .int(1), "destroyed": .bool(false), "reason": .string(why)]))
        case .markdown, .human: return "Nothing to destroy: \(why).\n"
        }
    }
}
