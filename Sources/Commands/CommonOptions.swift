import Workspace
import ArgumentParser
import Engine
import Foundation
import Model
import Rendering
import Service
import Synchronization

/// Options every command about one environment takes.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "The environment (a file environments/<name>.yaml).")
    var env: String?

    @Option(name: .long, help: "The git repository (default: the one containing the current directory).")
    var repo: String?

    @Option(name: .long, help: "The revision to read: a branch, tag, sha or HEAD~n.")
    var revision: String = "HEAD"

    @Option(name: .long, help: "The project's directory in the repository, holding manifests/ and environments/ (default: the current directory's nearest with environments/, else the root).")
    var path: String?

    @Flag(name: .long, help: "Read the working tree instead of a revision (uncommitted edits).")
    var worktree: Bool = false

    @Option(name: .long, help: "Output format: human, json or markdown.")
    var output: OutputFormat = .human

    func validate() throws {
        if worktree && revision != "HEAD" {
            throw ValidationError("--worktree and --revision exclude each other: the working tree has no revision")
        }
    }
}

/// `--override-window REASON`: go through a closed change window, recorded with who and why.
struct WindowFlags: ParsableArguments {
    @Option(name: .long, help: "Change the environment although its change window is closed; REASON is recorded in the audit trail with who gave it.")
    var overrideWindow: String?

    func validate() throws {
        if let reason = overrideWindow, reason.trimmingCharacters(in: .whitespaces).count < 3 {
            throw ValidationError("--override-window needs a reason people can read later, like --override-window \"hotfix for INC-123\"")
        }
    }
}

/// The flags that loosen an environment's policy for one run.
struct PolicyFlags: ParsableArguments {
    @Flag(name: .long, help: "Allow changes that drop data (replace, drop, narrowing type change) under a \"destructive: deny\" policy.")
    var allowDestructive: Bool = false

    @Flag(name: .long, help: "Allow deleting everything this environment created when no manifests are found.")
    var allowEmpty: Bool = false

    @Flag(name: .long, help: "Allow NOT NULL and CHECK changes whose existing rows could not be checked (never ones the rows fail).")
    var allowUnverified: Bool = false

    var options: PolicyCheck.Options { PolicyCheck.Options(allowDestructive: allowDestructive, allowEmpty: allowEmpty, allowUnverified: allowUnverified) }
}

extension OutputFormat: ExpressibleByArgument {}

/// Standard output and error, with colour only on a terminal and never under NO_COLOR.
enum Console {
    static var colorAllowed: Bool { ProcessInfo.processInfo.environment["NO_COLOR"] == nil }

    static var stdoutStyle: TerminalStyle { TerminalStyle(enabled: colorAllowed && isatty(1) == 1) }
    static var stderrStyle: TerminalStyle { TerminalStyle(enabled: colorAllowed && isatty(2) == 1) }

    /// Whether anything went to standard output yet: a failure then adds no second document.
    static var wroteOutput: Bool { written.withLock { $0 } }
    private static let written = Mutex(false)

    static func out(_ text: String) {
        written.withLock { $0 = true }
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func err(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Asks on the terminal whether to apply `plan`; only "yes" applies.
    static func ask(_ plan: Plan) -> ApplyControl.Answer {
        guard isatty(0) == 1 else { return .noTerminal }
        let count = plan.changes.count
        err("\nApply \(count) change\(count == 1 ? "" : "s") to environment \(plan.environment)? Only \"yes\" applies: ")
        return readLine()?.trimmingCharacters(in: .whitespaces) == "yes" ? .yes : .no
    }
}

/// `--select` for the commands that plan.
struct SelectionFlags: ParsableArguments {
    @Option(name: .long, help: "Only what matches (repeatable): a kind (Table), a name glob (main.silver.*), Kind/glob or label=value; +before adds what it needs and what feeds it, after+ what needs or consumes it.")
    var select: [String] = []

    func selection() throws(ReconcileError) -> Selection { try Selection(select) }
}
