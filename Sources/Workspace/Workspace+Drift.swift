import Engine
import Foundation
import Model

extension Workspace {
    /// The drift of `environment`: its target against the desired state of the
    /// revision it last applied successfully (its current revision if none).
    public func drift(_ environment: Environment, store: (any StateStore)?, policy: PolicyCheck.Options) throws(CommandFailure) -> DriftReport {
        let last: ApplyRecord?
        do {
            last = try store?.lastSuccessfulApply(environment.name)
        } catch {
            throw CommandFailure(error.description)
        }
        let state = try desired(environment, at: last?.revision)
        let plan = try self.plan(state, target: target(for: environment), store: store, options: policy)
        return DriftReport(environment: environment.name, revision: state.revision, appliedAt: last?.finishedAt, plan: plan)
    }
}
