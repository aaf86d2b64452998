import Foundation
import Model
import RemoteTargets

extension Workspace {
    /// POSTs an audit entry to the environment's `spec.audit.webhook`, if any: the entry
    /// as recorded (its text parsed, its hash), with a `text` line for chat webhooks.
    /// Two attempts within 5 s each; failing is a warning, the entry is in the store.
    public func forwardAuditEntry(_ record: AuditRecord, of environment: Environment) async {
        guard let url = environment.auditWebhook else { return }
        let entry = (try? JSONDecoder().decode(Value.self, from: Data(record.entry.utf8))) ?? .string(record.entry)
        var text = "audit entry \(record.sequence)"
        if case .object(let fields) = entry, case .string(let summary)? = fields["summary"] { text = summary }
        let body = Value.object(["sequence": .int(record.sequence), "hash": .string(record.hash), "entry": entry, "text": .string(text)])
        do throws(RESTClient.Failure) {
            try await RESTClient(base: url, name: "the audit webhook", timeout: 5, attempts: 2, maxBody: 64 << 10).send("POST", "", body: body)
        } catch {
            let host = URL(string: url).map { "\($0.scheme ?? "https")://\($0.host ?? "?")/…" } ?? "(invalid url)"
            warn("audit entry \(record.sequence) of \(environment.name) is recorded in the state store but was not forwarded to \(host): \(error.message)")
        }
    }
}
