import Workspace
import Model
import LocalTarget
import Rendering
import ArgumentParser
import Foundation

/// The `reconcile` command line.
public struct Reconcile: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "GitOps for the lakehouse: plan and apply the manifests in git to an environment.",
        discussion: """
        Exit codes: 0 nothing to do or success; 2 changes pending (plan, apply --dry-run); 1 error.
        """,
        version: "0.1.0",
        subcommands: [ValidateCommand.self, PlanCommand.self, ApplyCommand.self, DriftCommand.self, HistoryCommand.self, PromoteCommand.self, RollbackCommand.self, ReleaseCommand.self, UnlockCommand.self, WatchCommand.self, GraphCommand.self, SchemaCommand.self, ImportCommand.self, PreviewCommand.self, AuditCommand.self]
    )

    public init() {}

    /// Without a subcommand or `--dry-run`: help, and exit 1.
    public func run() async throws {
        FileHandle.standardError.write(Data((Self.helpMessage() + "\n").utf8))
        throw ExitCode.failure
    }

    /// Runs the command line, mapping every error to exit code 1 (usage errors too,
    /// which ArgumentParser would report as 64), so CI sees 0, 1 or 2 only.
    public static func runMain() async -> Never {
        // One command, one observation: only `watch` keeps Delta snapshots between them.
        LocalLakehouse.keepSnapshots(false)
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let first = arguments.first, first.hasPrefix("-"), !["-h", "--help", "--version", "--generate-completion-script"].contains(first) {
            // Options before any subcommand: the root's own form, `reconcile --dry-run …`.
            await DryRunCommand.runMain(arguments)
        }
        if let first = arguments.first, !first.hasPrefix("-"), first != "help",
           !configuration.subcommands.contains(where: { $0.configuration.commandName == first }) {
            let names = configuration.subcommands.compactMap { $0.configuration.commandName }
            let suggestion = Suggest.closest(to: first, in: names).map { "; did you mean \($0)?" } ?? ""
            FileHandle.standardError.write(Data("error: '\(first)' is not a command\(suggestion)\nUsage: reconcile <subcommand>; see 'reconcile --help'\n".utf8))
            Foundation.exit(1)
        }
        await runParsed(Reconcile.self) { try parseAsRoot() }
    }
}

/// Runs the command `parse` returns and exits: its code, 0 for help and version, and
/// 1 for any error (usage errors too, which ArgumentParser would report as 64), so CI
/// sees 0, 1 or 2 only.
func runParsed<Root: ParsableCommand>(_ root: Root.Type, _ parse: () throws -> ParsableCommand) async -> Never {
    do {
        var command = try parse()
        if var asyncCommand = command as? AsyncParsableCommand {
            try await asyncCommand.run()
        } else {
            try command.run()
        }
        Foundation.exit(0)
    } catch let code as ExitCode {
        Foundation.exit(code.rawValue)
    } catch {
        if root.exitCode(for: error) == .success {
            print(root.fullMessage(for: error))
            Foundation.exit(0)
        }
        FileHandle.standardError.write(Data((root.fullMessage(for: error) + "\n").utf8))
        Foundation.exit(1)
    }
}
