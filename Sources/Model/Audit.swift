import Foundation

/// Something that changed, or was refused, in an environment: one line of the audit
/// trail. Written by the service after each verb; never holds a secret.
public struct AuditEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// An apply, heal or preview destroy finished (any outcome).
        case apply
        /// The policy (or a change window, or a signature check) refused an apply.
        case refusal
        /// A person let an apply through a guard (`--override-window REASON`).
        case override
        case promotion, rollback, release
    }

    public var kind: Kind
    public var environment: String
    public var actor: String
    /// Milliseconds since 1970, so the recorded text round-trips exactly.
    public var at: Int
    public var revision: String?
    /// One sentence, for people.
    public var summary: String
    /// Facts for machines: outcome, counts, plan digest, flags, reasons.
    public var details: [String: String]

    public init(kind: Kind, environment: String, actor: String, at: Date = Date(), revision: String? = nil,
                summary: String, details: [String: String] = [:]) {
        self.kind = kind
        self.environment = environment
        self.actor = actor
        self.at = Int((at.timeIntervalSince1970 * 1000).rounded())
        self.revision = revision
        self.summary = summary
        self.details = details
    }
}

/// One entry of the audit trail as stored: the event's canonical text (which names the
/// entry before it by hash) and that text's SHA-256. Changing any entry breaks its own
/// hash or the next entry's link.
public struct AuditRecord: Sendable, Hashable {
    public var sequence: Int
    /// The canonical JSON the hash covers: the event, its sequence and the previous hash.
    public var entry: String
    public var hash: String

    public init(sequence: Int, entry: String, hash: String) {
        self.sequence = sequence
        self.entry = entry
        self.hash = hash
    }

    /// The hash that stands before the first entry.
    public static let genesis = String(repeating: "0", count: 64)
}

/// Where the audit trail lives: beside history, appended in one transaction per entry.
public protocol AuditLog: AnyObject {
    /// Appends `event` after the newest entry; `seal` turns (event, sequence, previous
    /// hash) into the entry text and its hash, inside the store's transaction, so two
    /// writers never fork the chain.
    func appendAudit(_ event: AuditEvent, seal: @Sendable (AuditEvent, Int, String) -> (entry: String, hash: String)) async throws(TargetError) -> AuditRecord
    /// Every entry, oldest first (all environments of the store).
    func auditTrail() async throws(TargetError) -> [AuditRecord]
}
