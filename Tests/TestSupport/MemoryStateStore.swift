import Foundation
import Model

/// A state store in memory, for tests of the engine and targets without a file.
public final class MemoryStateStore: StateStore, @unchecked Sendable {
    public var location: String { "memory" }
    public var inventories: [String: Inventory] = [:]
    public var records: [ApplyRecord] = []
    public var locks: [String: LockInfo] = [:]
    public var holds: [String: Hold] = [:]
    public var audit: [AuditRecord] = []
    public var owners: [String: String] = [:]

    public init() {}

    public func owner(of environment: String) -> String? { owners[environment] }

    public func claim(_ environment: String, for project: String) -> String {
        if owners[environment] == nil { owners[environment] = project }
        return owners[environment]!
    }

    public func appendAudit(_ event: AuditEvent, seal: (AuditEvent, Int, String) -> (entry: String, hash: String)) throws(TargetError) -> AuditRecord {
        let sealed = seal(event, audit.count + 1, audit.last?.hash ?? AuditRecord.genesis)
        audit.append(AuditRecord(sequence: audit.count + 1, entry: sealed.entry, hash: sealed.hash))
        return audit[audit.count - 1]
    }

    public func auditTrail() throws(TargetError) -> [AuditRecord] { audit }

    public func inventory(_ environment: String) throws(TargetError) -> Inventory {
        inventories[environment] ?? Inventory(environment: environment)
    }

    public func acquireLock(_ environment: String, _ lock: LockInfo) throws(TargetError) -> LockInfo? {
        if let holder = locks[environment] { return holder }
        locks[environment] = lock
        return nil
    }

    public func releaseLock(_ environment: String, pid: Int32) throws(TargetError) {
        if locks[environment]?.pid == pid { locks[environment] = nil }
    }

    public func currentLock(_ environment: String) throws(TargetError) -> LockInfo? { locks[environment] }
    public func breakLock(_ environment: String) throws(TargetError) { locks[environment] = nil }
    public func replaceLock(_ environment: String, expected: LockInfo, with replacement: LockInfo?) throws(TargetError) -> LockInfo? {
        guard let current = locks[environment] else {
            locks[environment] = replacement
            return nil
        }
        guard current == expected else { return current }
        locks[environment] = replacement
        return nil
    }

    public func startApply(_ environment: String, revision: String, planDigest: String, actor: String, kind: ApplyRecord.Kind,
                           changes: [(ResourceID, Action)]) throws(TargetError) -> Int {
        let id = records.count + 1
        records.append(ApplyRecord(id: id, environment: environment, revision: revision, planDigest: planDigest, actor: actor, kind: kind,
                                   startedAt: Date(), finishedAt: nil, outcome: .running,
                                   changes: changes.enumerated().map { ChangeRecord(position: $0, resource: $1.0, action: $1.1, status: .pending) }))
        return id
    }

    public func changeStarted(_ apply: Int, position: Int) throws(TargetError) {
        records[apply - 1].changes[position].status = .started
    }

    public func changeApplied(_ apply: Int, position: Int, environment: String, inventory id: ResourceID, entry: Inventory.Entry?, applied: AppliedChange) throws(TargetError) {
        records[apply - 1].changes[position].status = .applied
        records[apply - 1].changes[position].tableVersion = applied.tableVersion
        var inventory = inventories[environment] ?? Inventory(environment: environment)
        inventory.entries[id] = entry
        inventories[environment] = inventory
    }

    public func changeFailed(_ apply: Int, position: Int, error: String) throws(TargetError) {
        records[apply - 1].changes[position].status = .failed
        records[apply - 1].changes[position].error = error
    }

    public func finishApply(_ apply: Int, outcome: ApplyRecord.Outcome) throws(TargetError) {
        for index in records[apply - 1].changes.indices {
            switch records[apply - 1].changes[index].status {
            case .pending: records[apply - 1].changes[index].status = .notAttempted
            case .started: records[apply - 1].changes[index].status = .interrupted
            default: break
            }
        }
        records[apply - 1].outcome = outcome
        records[apply - 1].finishedAt = Date()
    }

    public func history(_ environment: String, limit: Int) throws(TargetError) -> [ApplyRecord] {
        Array(records.filter { $0.environment == environment }.reversed().prefix(limit))
    }

    public func hold(_ environment: String) throws(TargetError) -> Hold? { holds[environment] }
    public func setHold(_ hold: Hold) throws(TargetError) { holds[hold.environment] = hold }
    public func releaseHold(_ environment: String) throws(TargetError) { holds[environment] = nil }

    public var resolved: Set<Intent> = []

    public func unresolvedIntents(_ environment: String, includeRunning: Bool) throws(TargetError) -> [Intent] {
        records.filter { $0.environment == environment && ($0.outcome != .running || includeRunning) }.flatMap { record in
            record.changes.filter { $0.status == .interrupted || $0.status == .failed || ($0.status == .applied && record.outcome == .interrupted)
                || (record.outcome == .running && ($0.status == .started || $0.status == .applied)) }
                .map { Intent(apply: record.id, position: $0.position, resource: $0.resource, action: $0.action) }
        }.filter { !resolved.contains($0) }
    }

    public func resolve(_ intent: Intent, environment: String, effect: InventoryEffect) throws(TargetError) {
        resolved.insert(intent)
        var inventory = inventories[environment] ?? Inventory(environment: environment)
        switch effect {
        case .keep: break
        case .remove: inventory.entries[intent.resource] = nil
        case .set(let entry): inventory.entries[intent.resource] = entry
        }
        inventories[environment] = inventory
    }
}
