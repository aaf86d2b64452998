import Model

/// Applies a plan in order and stops at the first failure. Before each change the
/// journal says it started; after it, the journal and the inventory say it was
/// applied, in one write. A killed apply is thus found, whole, on the next run.
public enum Applier {
    public struct Context {
        public var store: any StateStore
        public var actor: String
        public var kind: ApplyRecord.Kind
        public var digest: String
        /// Asked before each change: true stops the apply there (a SIGTERM), after
        /// the change in flight is done and recorded.
        public var shouldStop: @Sendable () -> Bool
        /// Told each change's outcome as soon as it is recorded (a CI log shows every
        /// applied change even if the process is killed after it).
        public var progress: (_ index: Int, _ outcome: ApplyReport.Outcome) -> Void

        public init(store: any StateStore, actor: String, kind: ApplyRecord.Kind, digest: String, shouldStop: @escaping @Sendable () -> Bool = { false },
                    progress: @escaping (_ index: Int, _ outcome: ApplyReport.Outcome) -> Void = { _, _ in }) {
            self.store = store
            self.actor = actor
            self.kind = kind
            self.digest = digest
            self.shouldStop = shouldStop
            self.progress = progress
        }
    }

    public static func apply(_ plan: Plan, to target: some Target, context: Context) async throws(TargetError) -> ApplyReport {
        precondition(plan.refusals.isEmpty, "a plan with refused changes must not reach the applier")
        let store = context.store
        try await target.beginApply(plan)
        let id: Int
        do {
            id = try await store.startApply(plan.environment, revision: plan.revision, planDigest: context.digest, actor: context.actor,
                                      kind: context.kind, changes: plan.changes.map { ($0.id, $0.action) })
        } catch {
            try? await target.endApply()
            throw error
        }
        var outcomes = [ApplyReport.Outcome](repeating: .notAttempted, count: plan.changes.count)
        var storeError: TargetError?
        var stopped = false
        for (index, change) in plan.changes.enumerated() {
            if context.shouldStop() {
                stopped = true
                break
            }
            do {
                try await store.changeStarted(id, position: index)
            } catch {
                storeError = error
                break
            }
            var applied = AppliedChange.done
            do {
                if !change.isMetadataOnly { applied = try await target.apply(change) }
            } catch {
                outcomes[index] = .failed(error.message)
                try? await store.changeFailed(id, position: index, error: error.message)
                context.progress(index, outcomes[index])
                break
            }
            outcomes[index] = .applied
            do {
                try await store.changeApplied(id, position: index, environment: plan.environment, inventory: change.id, entry: Inventory.entry(after: change), applied: applied)
            } catch {
                storeError = error
                break
            }
            context.progress(index, .applied)
        }
        var report = ApplyReport(plan: plan, outcomes: outcomes)
        report.stopped = stopped
        let ended: TargetError?
        do { try await target.endApply(); ended = nil } catch { ended = error }
        let outcome: ApplyRecord.Outcome = stopped ? .stopped : report.succeeded && storeError == nil && ended == nil ? .succeeded : .failed
        try await store.finishApply(id, outcome: outcome)
        if let error = storeError ?? ended { throw error }
        return report
    }
}
