import ArgumentParser
import Engine
import Foundation
import Model
import Rendering
import Workspace

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show or verify the audit trail: every apply, refusal, override, promotion, rollback and release.",
        discussion: """
        The trail lives in the environment's state store, one entry per event, each naming \
        the hash of the one before it, so a modified, removed or inserted entry is found by \
        `reconcile audit verify`. With spec.audit.webhook, each entry is also POSTed there \
        as it is written (a copy outside the store, which also shows entries cut off the end).
        """,
        subcommands: [AuditShowCommand.self, AuditVerifyCommand.self],
        defaultSubcommand: AuditShowCommand.self
    )
}

/// The trail of the environment's store; nil when it has no store yet.
private func trail(_ context: Context, _ name: String) async throws(ReconcileError) -> (location: String, records: [AuditRecord])? {
    let environment = try context.environment(name)
    guard let store = try context.existingStore(for: environment) else { return nil }
    do throws(TargetError) { return await (store.location, try store.auditTrail()) } catch { throw ReconcileError(store: error) }
}

struct AuditShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "List the newest entries of the environment's audit trail.")

    @OptionGroup var options: CommonOptions

    @Option(name: .long, help: "How many entries to show, newest last.")
    var limit: Int = 50

    func validate() throws {
        guard options.env != nil else { throw ValidationError("audit needs --env NAME") }
        guard limit > 0 else { throw ValidationError("--limit must be positive") }
    }

    func run() async throws {
        try await runReporting(options) { context async throws(ReconcileError) in
            let records = try await trail(context, options.env!)?.records.suffix(limit) ?? []
            Console.out(AuditRenderer.render(Array(records), as: options.output))
            return 0
        }
    }
}

struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "Check the audit trail's hash chain; exit 1 naming the first entry that breaks it.")

    @OptionGroup var options: CommonOptions

    func validate() throws {
        guard options.env != nil else { throw ValidationError("audit verify needs --env NAME") }
    }

    func run() async throws {
        try await runReporting(options) { context async throws(ReconcileError) in
            guard let (location, records) = try await trail(context, options.env!) else {
                Console.out(AuditRenderer.verified(count: 0, last: nil, as: options.output))
                return 0
            }
            if let broken = AuditChain.verify(records) {
                throw ReconcileError("the audit trail in \(location) is broken at entry \(broken.sequence) (\(broken.reason)); it was changed outside reconcile: compare with the copies its webhook received", kind: .store)
            }
            Console.out(AuditRenderer.verified(count: records.count, last: records.last, as: options.output))
            return 0
        }
    }
}
