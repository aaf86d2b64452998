import Foundation
import Testing
import TestSupport

/// A killed apply, and two applies at once.
@Suite struct InterruptionTests {
    /// A repository with a catalog, a schema and `count` tables: a long plan.
    func bulk(_ count: Int) throws -> Project {
        let project = try Project()
        var documents = ["apiVersion: reconcile/v1\nkind: Schema\nmetadata: { name: main.bulk }\n"]
        for index in 0..<count {
            documents.append("apiVersion: reconcile/v1\nkind: Table\nmetadata: { name: main.bulk.t\(index) }\nspec:\n  columns: [{ name: id, type: bigint, nullable: false }, { name: payload, type: \"map<string,string>\" }]\n  properties: { delta.appendOnly: \"true\" }\n")
        }
        try project.write("manifests/bulk.yaml", documents.joined(separator: "---\n"))
        try project.commit("bulk tables")
        return project
    }

    /// Starts `reconcile apply --env dev` in the background.
    func startApply(_ project: Project) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Paths.reconcile)
        process.arguments = ["apply", "--env", "dev"]
        process.currentDirectoryURL = project.url
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Waits until at least `count` tables exist, or the process ends.
    func waitForTables(_ project: Project, _ count: Int, while process: Process) {
        let directory = project.url.appendingPathComponent(".lakehouse/dev/main/bulk").path
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && process.isRunning {
            if ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).count >= count { return }
            usleep(2_000)
        }
    }

    @Test func aKilledApplyIsReportedAndTheNextRunConverges() throws {
        let project = try bulk(1500)
        let apply = try startApply(project)
        waitForTables(project, 100, while: apply)
        #expect(apply.isRunning, "the apply should still be running when killed")
        kill(apply.processIdentifier, SIGKILL)
        apply.waitUntilExit()

        let next = try project.reconcile("apply", "--env", "dev")
        #expect(next.code == 0, "\(next.output)")
        #expect(next.stderr.contains("which is no longer running; took over its stale lock"))
        #expect(next.stderr.contains("was interrupted after"))
        #expect(try project.reconcile("plan", "--env", "dev").code == 0, "converged")

        let history = try project.reconcile("history", "--env", "dev", "--output", "json")
        let applies = (try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [String: Any])?["applies"] as? [[String: Any]] ?? []
        #expect(applies.map { $0["outcome"] as? String } == ["succeeded", "interrupted"])
        let killed = applies.last?["changes"] as? [[String: Any]] ?? []
        let statuses = Set(killed.compactMap { $0["status"] as? String })
        #expect(!statuses.contains("pending") && !statuses.contains("started"), "no half-recorded entry: \(statuses)")
        #expect(statuses.isSubset(of: ["applied", "interrupted", "not-attempted"]))

        let tables = try FileManager.default.contentsOfDirectory(atPath: project.url.appendingPathComponent(".lakehouse/dev/main/bulk").path)
            .filter { !$0.hasPrefix("_") }.map { ".lakehouse/dev/main/bulk/\($0)" }
        #expect(tables.count == 1500)
        let read = try project.deltaRS(tables)
        #expect(read.values.allSatisfy { $0["error"] == nil && ($0["version"] as? Int) == 0 }, "every table reads in delta-rs")
    }

    @Test func twoAppliesAtOnceOneWaitsOut() throws {
        let project = try bulk(800)
        let first = try startApply(project)
        waitForTables(project, 20, while: first)
        let second = try project.reconcile("apply", "--env", "dev")
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        #expect(second.code == 1, "\(second.output)")
        #expect(second.stderr.contains("error: environment dev is locked: apply by Test <test@example.com> (pid \(first.processIdentifier) on "), "\(second.stderr)")
        #expect(second.stderr.contains("is running; wait for it to finish"))
        #expect(try project.reconcile("plan", "--env", "dev").code == 0)
    }
}
