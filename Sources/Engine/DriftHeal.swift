import Model

/// What `drift --heal` may restore. Pure: a drift plan in, the part to apply and the
/// refused rest out.
public enum DriftHeal {
    /// The changes the policy allows (in plan order), and those it refuses.
    public static func split(_ plan: Plan) -> (healable: Plan, refused: [Change]) {
        var healable = plan
        healable.changes = plan.changes.filter { $0.refusal == nil }
        return (healable, plan.refusals)
    }

    /// One diagnostic per refused change: why, and how to settle it while keeping the
    /// guardrail (declare the change, or ignore the field), before the override.
    public static func advice(_ refused: [Change], environment: String) -> [Diagnostic] {
        refused.map { change in
            let why = change.destructiveReasons.isEmpty ? "" : change.destructiveReasons.joined(separator: "; ") + "; "
            let fields = change.fields.map(\.path).filter { !$0.isEmpty }
            let ignore = fields.isEmpty ? "" : ", or list \(fields.prefix(3).map { "\"\($0)\"" }.joined(separator: ", ")) under its \(Resource.ignoreAnnotation) annotation if that drift is expected"
            return .error(at: change.origin, "\(change.id): drift not healed: \(why)\(change.refusal!). To keep what the target has, declare it in the manifest\(ignore); to restore the manifest anyway, run drift --heal --allow-destructive")
        } + [.error(at: nil, "drift --heal left \(refused.count) change\(refused.count == 1 ? "" : "s") in \(environment) that the policy refuses; the rest was healed")]
    }
}
