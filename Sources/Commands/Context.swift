import ArgumentParser
import Model
import Foundation
import Rendering
import Workspace

/// The command layer's name for the workspace it runs on.
typealias Context = Workspace

extension ReadOptions {
    init(_ options: CommonOptions) {
        self.init(repo: options.repo, revision: options.revision, worktree: options.worktree, path: options.path)
    }
}

extension Workspace {
    /// Prints diagnostics with source lines, to standard error.
    func report(_ failure: ReconcileError) {
        Console.err(DiagnosticRenderer(style: Console.stderrStyle) { [self] in sourceLine($0, $1) }.render(failure.diagnostics))
    }
}

/// What a one-shot command keeps until the process exits: its context, its runs and
/// its plan. Freeing 100,000 resources one by one just before exit is work nobody
/// waits for (compilers skip it the same way); the kernel takes the pages back at once.
nonisolated(unsafe) private var keptUntilExit: [Any] = []
private let keptLock = NSLock()

/// Keeps `value` alive until the process exits (one-shot commands only: `watch` frees
/// what each cycle made).
func keepUntilExit(_ value: Any) {
    keptLock.withLock { keptUntilExit.append(value) }
}

/// Runs a command body, printing a failure as diagnostics and exiting 1.
func runReporting(_ options: CommonOptions, _ body: (Context) async throws(ReconcileError) -> Int32) async throws {
    try await runReporting(ReadOptions(options), output: options.output, body)
}

func runReporting(_ read: ReadOptions, output: OutputFormat, _ body: (Context) async throws(ReconcileError) -> Int32) async throws {
    var context: Context?
    do {
        let built = try Context(read)
        keepUntilExit(built)
        context = built
        let code = try await body(built)
        if code != 0 { throw ExitCode(code) }
    } catch let failure as ReconcileError {
        report(failure, context: context, output: output)
        throw ExitCode.failure
    }
}

/// A failure on standard error as a compiler prints it, and, for `--output json` or
/// `markdown`, on standard output too, so a bot reading stdout gets the errors.
func report(_ failure: ReconcileError, context: Context?, output: OutputFormat, title: String = "reconcile: errors") {
    if let context {
        context.report(failure)
    } else {
        Console.err(DiagnosticRenderer(style: Console.stderrStyle) { _, _ in nil }.render(failure.diagnostics))
    }
    // One document on standard output: a plan already printed there shows its refusals itself.
    guard !Console.wroteOutput else { return }
    switch output {
    case .human: break
    case .json: Console.out(JSONText.encode(DiagnosticRenderer.json(failure.diagnostics)))
    case .markdown: Console.out(DiagnosticRenderer.markdown(failure.diagnostics, title: title))
    }
}
