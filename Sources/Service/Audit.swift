import Engine
import Foundation
import Model

extension EnvironmentRun {
    /// Appends `event` to the audit trail of this environment's store, then hands the
    /// entry to the project to forward (a webhook, if the environment names one). An
    /// entry that cannot be written is an error: the trail never silently misses one.
    func audit(_ kind: AuditEvent.Kind, revision: String?, summary: String, details: [String: String] = [:]) async throws(ReconcileError) {
        let event = AuditEvent(kind: kind, environment: name, actor: project.actor, revision: revision, summary: summary, details: details)
        let store = try store()
        let record: AuditRecord
        do throws(TargetError) {
            record = try await store.appendAudit(event) { AuditChain.seal($0, sequence: $1, previous: $2) }
        } catch {
            throw ReconcileError("\(summary), but its audit entry could not be written: \(error.description); the trail in \(store.location) lacks it", kind: .store)
        }
        await project.forwardAudit(record, of: environment)
    }

    /// The apply's entry: what ran, how it ended, and the overrides that let it through.
    func auditApply(_ plan: Plan, kind: ApplyRecord.Kind, report: ApplyReport?, overrides: [String], signer: String?) async throws(ReconcileError) {
        var details = ["kind": kind.rawValue, "planDigest": plan.digest, "changes": String(plan.changes.count)]
        if let signer { details["signedBy"] = signer }
        // The requirement in force, recorded so a later unsigned revision cannot drop it unnoticed.
        if let required = environment.policy.signedCommits {
            details["allowedSigners"] = required.allowedSigners
            details["gpgKeyring"] = required.gpgKeyring
        }
        if !overrides.isEmpty { details["overrides"] = overrides.joined(separator: " ") }
        let outcome: String
        if let report {
            outcome = ApplyResult.failure(of: report) != nil ? "failed" : report.stopped ? "stopped" : "succeeded"
            details["applied"] = String(report.appliedCount)
        } else {
            outcome = "succeeded"
            details["applied"] = "0"
        }
        details["outcome"] = outcome
        let verb = kind == .destroy ? "destroy" : kind == .heal ? "heal" : "apply"
        try await audit(.apply, revision: plan.revision, summary: "\(verb) of \(name) at \(plan.shortRevision) \(outcome): \(details["applied"]!) of \(plan.changes.count) changes", details: details)
    }

    /// The refusal's entry: which changes the policy refused, and why.
    func auditRefusal(_ plan: Plan) async throws(ReconcileError) {
        let refused = plan.refusals
        var details = ["changes": refused.map(\.id.description).joined(separator: " "), "planDigest": plan.digest]
        details["reasons"] = refused.map { $0.refusal.map(Self.reasonCode) ?? "" }.joined(separator: " ")
        try await audit(.refusal, revision: plan.revision, summary: "apply of \(name) at \(plan.shortRevision) refused: \(refused.count) change\(refused.count == 1 ? "" : "s") not allowed by policy", details: details)
    }

    static func reasonCode(_ refusal: Refusal) -> String {
        switch refusal {
        case .protected: return "protected"
        case .deletesEveryOfKind: return "deletesEveryOfKind"
        case .destructiveDenied: return "destructiveDenied"
        case .dataViolates: return "dataViolates"
        case .dataUnverified: return "dataUnverified"
        case .adoptionReplaces: return "adoptionReplaces"
        case .adoptionDenied: return "adoptionDenied"
        }
    }
}

extension PolicyCheck.Options {
    /// The flags that loosened the policy for this run, as the audit records them.
    public var overridesUsed: [String] {
        var used: [String] = []
        if allowDestructive { used.append("--allow-destructive") }
        if allowEmpty { used.append("--allow-empty") }
        if allowUnverified { used.append("--allow-unverified") }
        if destroysPreview { used = ["preview destroy"] }
        return used
    }
}

extension EnvironmentRun {
    /// Refuses `verb` when the environment's change windows are closed now, unless a
    /// person gave a reason to go through (`--override-window`); both are audited.
    public func passWindow(verb: String, revision: String?) async throws(ReconcileError) {
        guard !passedWindow, let status = ChangeWindows.status(environment.windows, at: clock()), !status.open else { return }
        let closing = status.closedBy.map(\.description).joined(separator: ", ")
        let until = status.next.map { " until \(LockInfo.format($0))" } ?? " with no opening within a year"
        if let reason = windowOverride {
            try await audit(.override, revision: revision, summary: "\(verb) of \(name) went through the closed change window (\(closing)), by \(project.actor): \(reason)",
                            details: ["verb": verb, "reason": reason, "windows": closing])
            project.warning("environment \(name) is in a closed change window (\(closing))\(until); going through it as --override-window says, recorded in the audit trail")
            passedWindow = true
            return
        }
        try await audit(.refusal, revision: revision, summary: "\(verb) of \(name) refused: the change window is closed (\(closing))", details: ["verb": verb, "windows": closing])
        throw ReconcileError([.error(at: status.closedBy.first?.origin ?? environment.origin,
            "environment \(name) is in a closed change window (\(closing))\(until); \(verb) refused, nothing was changed. Wait for it to open, or pass --override-window REASON to go through (recorded in the audit trail)")],
            kind: .policyRefused)
    }
}

extension EnvironmentRun {
    /// Who signed `revision`, when the environment requires signed commits; nil when it
    /// does not. A refusal is audited.
    func verifySigned(_ revision: String, verb: String) async throws(ReconcileError) -> String? {
        guard let (requirement, recorded) = try await signatureRequirement() else { return nil }
        do throws(ReconcileError) {
            return try project.verifySignature(of: revision, requirement: requirement, environment: name)
        } catch {
            let why = recorded ? " (the last apply required signed commits; only a signed commit can lift the requirement)" : ""
            try await audit(.refusal, revision: revision, summary: "\(verb) of \(name) refused: \(revision.prefix(12)) is not signed by an allowed signer\(why)",
                            details: ["verb": verb, "reason": "unsigned"])
            throw ReconcileError(error.diagnostics.map { Diagnostic.error(at: $0.location, $0.message + why) }, kind: error.kind)
        }
    }

    /// The environment's requirement now; else the one its last apply recorded (so an
    /// unsigned commit cannot drop the requirement and be applied in one step).
    func signatureRequirement() async throws(ReconcileError) -> (SignedCommits, recorded: Bool)? {
        if let current = environment.policy.signedCommits { return (current, false) }
        guard let store = try existingStore() else { return nil }
        let trail: [AuditRecord]
        do throws(TargetError) { trail = try await store.auditTrail() } catch { throw ReconcileError(store: error) }
        for record in trail.reversed() {
            // An entry that cannot be read might be the apply that required signatures: undecidable, so stop.
            guard let entry = try? JSONSerialization.jsonObject(with: Data(record.entry.utf8)) as? [String: Any] else {
                throw ReconcileError("audit entry \(record.sequence) in \(store.location) cannot be read, so whether \(name) requires signed commits cannot be decided; run reconcile audit verify --env \(name)", kind: .store)
            }
            guard entry["kind"] as? String == AuditEvent.Kind.apply.rawValue, entry["environment"] as? String == name else { continue }
            let details = entry["details"] as? [String: String] ?? [:]
            guard details["allowedSigners"] != nil || details["gpgKeyring"] != nil else { return nil }
            return (SignedCommits(allowedSigners: details["allowedSigners"], gpgKeyring: details["gpgKeyring"]), true)
        }
        return nil
    }
}
