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
}
