import Engine
import Foundation
import LocalTarget
import Model
import Rendering
import SQLiteState

extension Workspace {
    /// Refuses the plan whole if policy refuses any change, else applies it and
    /// records it in history (a plan with no changes is recorded when its revision
    /// is new). Returns the report, or nil when there was nothing to apply.
    public func apply(_ plan: Plan, on target: some Target, store: SQLiteStateStore, kind: ApplyRecord.Kind,
                      shouldStop: @escaping @Sendable () -> Bool = { false },
                      progress: @escaping (_ index: Int, _ outcome: ApplyReport.Outcome) -> Void = { _, _ in }) throws(CommandFailure) -> ApplyReport? {
        if let refused = Self.refusals(of: plan, verb: "apply") { throw refused }
        let digest = plan.digest
        let context = Applier.Context(store: store, actor: actor, kind: kind, digest: digest, shouldStop: shouldStop, progress: progress)
        do throws(TargetError) {
            guard plan.hasChanges else {
                // A new revision that changes nothing is still what the environment now runs:
                // history records it, so drift, promotion and rollback start from it.
                if try store.lastSuccessfulApply(plan.environment)?.revision != plan.revision {
                    _ = try Applier.apply(plan, to: target, context: context)
                }
                return nil
            }
            return try Applier.apply(plan, to: target, context: context)
        } catch {
            throw CommandFailure("\(error.description); nothing more was applied")
        }
    }

    /// Every change the policy refuses, as one failure (like Terraform's
    /// `prevent_destroy`, a refused change fails the plan, not only the apply).
    public static func refusals(of plan: Plan, verb: String) -> CommandFailure? {
        let refused = plan.refusals
        guard !refused.isEmpty else { return nil }
        return CommandFailure(refused.map { change in
            let why = change.destructiveReasons.isEmpty ? "" : change.destructiveReasons.joined(separator: "; ") + "; "
            return .error(at: change.origin, "\(change.id): \(why)\(change.refusal!)")
        } + [.error(at: nil, "\(verb) refused: \(refused.count) change\(refused.count == 1 ? "" : "s") not allowed by policy; nothing was changed")],
        kind: .policyRefused)
    }

    /// The failure an apply report stands for, if any.
    public static func failure(of report: ApplyReport) -> CommandFailure? {
        guard let index = report.outcomes.firstIndex(where: { if case .failed = $0 { return true }; return false }),
              case .failed(let message) = report.outcomes[index] else { return nil }
        let change = report.plan.changes[index]
        return CommandFailure([.error(at: change.origin, "\(change.id): \(message)"),
                               .error(at: nil, "apply failed: \(report.appliedCount) of \(report.plan.changes.count) changes applied; fix the cause and apply again")])
    }
}
