import Foundation
import Synchronization
import Testing
import TestSupport

/// The audit trail as a user meets it (#15): written by every apply, forwarded to a
/// webhook, and a hand-edited entry found by `audit verify`.
@Suite struct AuditTests {
    func sqlite(_ path: URL, _ sql: String) throws -> String {
        try Shell.check("sqlite3", [path.path, sql]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func entriesAreForwardedAndATamperedOneIsFound() throws {
        let project = try Project()
        let receiver = try WebhookReceiver(writingTo: project.url.appendingPathComponent("audit.jsonl"))
        try project.write("environments/dev.yaml", Project.devEnvironment + "\n  audit: { webhook: \"\(receiver.url)/audit\" }\n")
        try project.commit("forward the audit trail")
        try project.apply("dev")
        try project.write("manifests/more.yaml", "apiVersion: reconcile/v1\nkind: Schema\nmetadata: { name: main.gold }\n")
        try project.commit("gold")
        try project.apply("dev")

        let shown = try project.reconcile("audit", "--env", "dev")
        #expect(shown.code == 0 && shown.stdout.contains("apply of dev at") && shown.stdout.contains("succeeded: 1 of 1 changes"), "\(shown.output)")
        let verified = try project.reconcile("audit", "verify", "--env", "dev", "--output", "json")
        #expect(verified.code == 0 && verified.stdout.contains("\"entries\": 2"), "\(verified.output)")
        let forwarded = receiver.bodies.split(separator: "\n")
        #expect(forwarded.count == 2 && forwarded[1].contains("\"sequence\":2") && forwarded[1].contains("succeeded"), "\(receiver.bodies)")

        let store = project.url.appendingPathComponent(".lakehouse/dev/.reconcile/state.db")
        _ = try sqlite(store, "UPDATE audit SET entry = replace(entry, 'succeeded', 'failed') WHERE sequence = 1")
        let broken = try project.reconcile("audit", "verify", "--env", "dev")
        #expect(broken.code == 1, "\(broken.output)")
        #expect(broken.stderr.contains("is broken at entry 1 (its text does not match its hash: the entry was modified)"), "\(broken.output)")
    }

    @Test func aDeadWebhookIsAWarningAndTheEntryIsKept() throws {
        let project = try Project()
        try project.write("environments/dev.yaml", Project.devEnvironment + "\n  audit: { webhook: \"http://127.0.0.1:9/audit\" }\n")
        try project.commit("a dead webhook")
        let applied = try project.reconcile("apply", "--env", "dev")
        #expect(applied.code == 0, "\(applied.output)")
        #expect(applied.stderr.contains("audit entry 1 of dev is recorded in the state store but was not forwarded to http://127.0.0.1/…"), "\(applied.output)")
        #expect(try sqlite(project.url.appendingPathComponent(".lakehouse/dev/.reconcile/state.db"), "SELECT count(*) FROM audit") == "1")
        let plain = try project.reconcile("validate")
        #expect(plain.code == 0)
        try project.write("environments/dev.yaml", Project.devEnvironment + "\n  audit: { webhook: \"http://example.com/audit\" }\n")
        try project.commit("a plain-text webhook")
        let refused = try project.reconcile("validate")
        #expect(refused.code == 1 && refused.stderr.contains("spec.audit.webhook must be an https:// URL (http:// only for loopback)"), "\(refused.output)")
    }

    /// A project whose environments `names` keep their state in one store.
    func sharingOneStore(_ names: [String]) throws -> Project {
        let project = try Project()
        for name in names {
            try project.write("environments/\(name).yaml", """
            apiVersion: reconcile/v1
            kind: Environment
            metadata: { name: \(name) }
            spec:
              target: { type: local, path: .lakehouse/\(name) }
              state: { path: .reconcile/shared.db }
              variables: { catalog: main }
            """)
        }
        try project.commit("\(names.count) environments, one store")
        return project
    }

    /// Applies that open one new shared store at the same instant all go through: SQLite
    /// answers "locked" at once, without waiting, to a process turning WAL on while
    /// another does. The processes are lined up at the store's opening and released
    /// together (RECONCILE_TEST_GATE), on a fresh store each round.
    @Test func appliesOpeningANewSharedStoreAtOnceAllApply() throws {
        let names = ["a", "b", "c", "d"]
        let project = try sharingOneStore(names)
        for round in 0..<5 {
            for fresh in [".reconcile", ".lakehouse"] { try? FileManager.default.removeItem(at: project.url.appendingPathComponent(fresh)) }
            let gate = project.url.appendingPathComponent("gate-\(round)")
            #expect(FileManager.default.createFile(atPath: gate.path, contents: nil))
            let held = open(gate.path, O_RDONLY)
            #expect(held >= 0 && flock(held, LOCK_EX) == 0)
            let group = DispatchGroup()
            let results = Mutex<[String: String]>([:])
            for name in names {
                DispatchQueue.global().async(group: group) {
                    let outcome: String
                    do {
                        let applied = try Shell.run(Paths.reconcile, ["apply", "--env", name], in: project.url, environment: ["RECONCILE_TEST_GATE": gate.path])
                        outcome = applied.code == 0 ? "0" : "exit \(applied.code): \(applied.output)"
                    } catch {
                        outcome = "not run: \(error)"
                    }
                    results.withLock { $0[name] = outcome }
                }
            }
            Thread.sleep(forTimeInterval: 2)
            flock(held, LOCK_UN)
            close(held)
            group.wait()
            for (name, outcome) in results.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
                #expect(outcome == "0", "round \(round), apply --env \(name): \(outcome)")
            }
        }
    }

    @Test func writersSharingAStoreNeverForkTheChain() throws {
        let project = try sharingOneStore(["a", "b", "c"])
        let group = DispatchGroup()
        let results = Mutex<[String: String]>([:])
        for name in ["a", "b", "c"] {
            DispatchQueue.global().async(group: group) {
                let outcome: String
                do {
                    let applied = try project.reconcile("apply", "--env", name)
                    outcome = applied.code == 0 ? "0" : "exit \(applied.code): \(applied.output)"
                } catch {
                    outcome = "not run: \(error)"
                }
                results.withLock { $0[name] = outcome }
            }
        }
        group.wait()
        // Each failing apply's own words, so a failure on a loaded runner says why.
        for (name, outcome) in results.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
            #expect(outcome == "0", "apply --env \(name): \(outcome)")
        }
        let verified = try project.reconcile("audit", "verify", "--env", "b")
        #expect(verified.code == 0 && verified.stdout.contains("3 entries"), "\(verified.output)")
    }
}
