import Model

/// Applies a plan in order and stops at the first failure. The inventory is saved
/// after every change, so a failure never loses the record of what was done.
public enum Applier {
    public static func apply(_ plan: Plan, to target: some Target) throws(TargetError) -> ApplyReport {
        precondition(plan.refusals.isEmpty, "a plan with refused changes must not reach the applier")
        var inventory = try target.loadInventory(environment: plan.environment)
        try target.beginApply(plan)
        var outcomes = [ApplyReport.Outcome](repeating: .notAttempted, count: plan.changes.count)
        var saveError: TargetError?
        for (index, change) in plan.changes.enumerated() {
            do {
                if !change.isMetadataOnly { try target.apply(change) }
            } catch {
                outcomes[index] = .failed(error.message)
                break
            }
            outcomes[index] = .applied
            inventory.record(change)
            do {
                try target.saveInventory(inventory)
            } catch {
                saveError = error
                break
            }
        }
        try target.endApply()
        if let saveError { throw saveError }
        return ApplyReport(plan: plan, outcomes: outcomes)
    }
}
