import Foundation
import Testing
import TestSupport

/// Kills, signals and races (#11): whatever instant an apply dies at, the next run
/// converges, every table reads, both SQLite files are whole, and the inventory lists
/// exactly what exists.
@Suite struct CrashConsistencyTests {
    /// Version 2 of the all-kinds manifests: a table created, one updated, one
    /// replaced, a flag deleted and one updated, grants, a pipeline and a model changed.
    static func secondVersion(_ text: String) -> String {
        var text = text
        for (old, new) in [
            ("columns: [{ name: day, type: date }]", "columns: [{ name: day, type: date }, { name: total, type: bigint }]\n  partitionedBy: [day]"),
            ("- { principal: engineers, privileges: [SELECT, MODIFY] }", "- { principal: engineers, privileges: [ALL_PRIVILEGES] }"),
            ("cron: \"0 3 * * *\"", "cron: \"0 4 * * *\""),
            ("[[\"on\", 30], [\"off\", 70]]", "[[\"on\", 60], [\"off\", 40]]"),
            ("aliases: { champion: 1, challenger: 2 }", "aliases: { champion: 2 }"),
        ] {
            #expect(text.contains(old), "fixture lacks \(old)")
            text = text.replacingOccurrences(of: old, with: new)
        }
        let documents = text.components(separatedBy: "\n---\n").filter { !$0.contains("name: banner") }
        return documents.joined(separator: "\n---\n") + """

            ---
            apiVersion: reconcile/v1
            kind: Table
            metadata: { name: "${var.catalog}.silver.fresh" }
            spec:
              columns: [{ name: id, type: bigint }]
            """
    }

    func sqlite(_ path: URL, _ sql: String) throws -> String {
        try Shell.check("sqlite3", [path.path, sql]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func anApplyKilledAtEveryStepConvergesAndOwnsExactlyWhatExists() throws {
        let project = try Project()
        try project.write("manifests/kinds.yaml", AllKindsTests.kinds)
        try project.write("manifests/old.yaml", "apiVersion: reconcile/v1\nkind: Table\nmetadata: { name: main.silver.old }\nspec: { columns: [{ name: id, type: bigint }] }\n")
        try project.write("pipelines/daily.sql", "SELECT 1")
        let first = try project.commit("version 1")
        try project.apply("dev")
        try project.write("manifests/kinds.yaml", Self.secondVersion(AllKindsTests.kinds))
        try FileManager.default.removeItem(at: project.url.appendingPathComponent("manifests/old.yaml"))
        try project.write("manifests/silver/orders.yaml", Project.orders.replacingOccurrences(of: "    - { name: attributes, type: \"map<string,string>\" }\n",
                                                                                        with: "    - { name: attributes, type: \"map<string,string>\" }\n    - { name: coupon, type: string }\n"))
        let second = try project.commit("version 2")
        let lakehouse = project.url.appendingPathComponent(".lakehouse/dev")
        let saved = project.url.appendingPathComponent(".lakehouse/saved")
        try FileManager.default.copyItem(at: lakehouse, to: saved)
        let plan = try project.reconcile("plan", "--env", "dev")
        for line in ["-/+ Table/main.silver.daily", "- FeatureFlag/banner", "+ Table/main.silver.fresh", "- Table/main.silver.old", "~ Table/main.silver.orders",
                     "~ Grants/table:main.silver.orders", "~ Pipeline/daily", "~ FeatureFlag/new-checkout", "~ Model/main.ml.churn"] {
            #expect(plan.stdout.contains(line), "a plan that creates, updates, replaces and deletes: \(line) in \(plan.output)")
        }
        #expect(plan.code == 2)
        _ = first

        var killedAt: [Int] = []
        for step in 1...80 {
            try? FileManager.default.removeItem(at: lakehouse)
            try FileManager.default.copyItem(at: saved, to: lakehouse)
            let killed = try Shell.run(Paths.reconcile, ["apply", "--env", "dev"], in: project.url, environment: ["RECONCILE_FAULT_KILL_AT": "\(step)"])
            guard killed.stderr.contains("fault injection: killed at step") else {
                #expect(killed.code == 0, "step \(step) lies past the last: the apply finishes: \(killed.output)")
                break
            }
            killedAt.append(step)
            let next = try project.reconcile("apply", "--env", "dev")
            #expect(next.code == 0, "after a kill at step \(step): \(next.output)")
            let after = try project.reconcile("plan", "--env", "dev", "--output", "json")
            #expect(after.code == 0, "after a kill at step \(step), one apply converges: \(after.output)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as? [String: Any])
            let existing = Set(json["unchanged"] as? [String] ?? [])
            #expect((json["unmanaged"] as? [String] ?? []).isEmpty, "step \(step): nothing exists unowned: \(json["unmanaged"] ?? "")")
            let inventory = Set(try sqlite(lakehouse.appendingPathComponent(".reconcile/state.db"), "SELECT resource FROM inventory WHERE environment = 'dev'").split(separator: "\n").map(String.init))
            #expect(inventory == existing, "step \(step): the inventory lists exactly what exists: only in inventory \(inventory.subtracting(existing)), only existing \(existing.subtracting(inventory))")
            for file in [".reconcile/state.db", "catalog.db"] {
                #expect(try sqlite(lakehouse.appendingPathComponent(file), "PRAGMA integrity_check") == "ok", "step \(step): \(file)")
            }
            let tables = ["main/silver/orders", "main/silver/daily", "main/silver/fresh"].map { ".lakehouse/dev/" + $0 }
            #expect(!FileManager.default.fileExists(atPath: lakehouse.appendingPathComponent("main/silver/old").path), "step \(step): the deleted table is gone")
            let read = try project.deltaRS(tables)
            #expect(read.values.allSatisfy { $0["error"] == nil }, "step \(step): every table reads in delta-rs: \(read)")
            let leftovers = try FileManager.default.subpathsOfDirectory(atPath: lakehouse.path).filter { $0.hasSuffix(".tmp") }
            #expect(leftovers.isEmpty, "step \(step): no temporary file stays: \(leftovers)")
            let history = try sqlite(lakehouse.appendingPathComponent(".reconcile/state.db"), "SELECT revision FROM applies WHERE outcome = 'succeeded' ORDER BY id DESC LIMIT 1")
            #expect(history == second, "step \(step): the converging apply is recorded")
        }
        #expect(killedAt.count >= 20, "the apply passes many durable steps: \(killedAt.count)")
    }

    @Test func aCreateThatLandedBeforeItsJournalEntryIsStillOwned() throws {
        let project = try Project()
        try project.apply("dev")
        try project.write("manifests/fresh.yaml", """
            apiVersion: reconcile/v1
            kind: Table
            metadata: { name: main.silver.fresh }
            spec: { columns: [{ name: id, type: bigint }] }
            """)
        try project.commit("fresh")
        // Steps: the journal's apply record, the change started, the commit linked: kill there.
        var landed = false
        for step in 1...40 {
            let lakehouse = project.url.appendingPathComponent(".lakehouse/dev/main/silver/fresh/_delta_log/00000000000000000000.json")
            let killed = try Shell.run(Paths.reconcile, ["apply", "--env", "dev"], in: project.url, environment: ["RECONCILE_FAULT_KILL_AT": "\(step)"])
            if killed.stderr.contains("committed 00000000000000000000.json of Table/main.silver.fresh") {
                landed = FileManager.default.fileExists(atPath: lakehouse.path)
                break
            }
            #expect(killed.stderr.contains("fault injection"), "\(killed.output)")
        }
        #expect(landed, "killed right after the table's first commit")
        // Its manifest goes before any other run: prune must still delete it.
        try FileManager.default.removeItem(at: project.url.appendingPathComponent("manifests/fresh.yaml"))
        try project.commit("no fresh after all")
        let plan = try project.reconcile("plan", "--env", "dev")
        #expect(plan.stdout.contains("- Table/main.silver.fresh"), "owned, so pruned: \(plan.output)")
        try project.apply("dev")
        #expect(!FileManager.default.fileExists(atPath: project.url.appendingPathComponent(".lakehouse/dev/main/silver/fresh").path))
    }

    @Test(arguments: [(SIGINT, Int32(130)), (SIGTERM, Int32(143))])
    func aSignalStopsAfterTheChangeInFlight(_ signal: Int32, _ code: Int32) throws {
        let project = try InterruptionTests().bulk(1500)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Paths.reconcile)
        process.arguments = ["apply", "--env", "dev"]
        process.currentDirectoryURL = project.url
        // Standard output to a file: a pipe nobody reads would fill and stall the apply.
        let log = project.url.appendingPathComponent("apply.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = FileHandle.nullDevice
        try process.run()
        InterruptionTests().waitForTables(project, 50, while: process)
        #expect(process.isRunning, "still applying when signalled")
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        let printed = try String(contentsOf: log, encoding: .utf8)
        #expect(process.terminationStatus == code, "\(printed.suffix(400))")
        #expect(printed.contains("Apply stopped: "), "\(printed.suffix(400))")
        let lines = printed.components(separatedBy: "\n").filter { $0.hasPrefix("  ✓ create Table/main.bulk.") }
        #expect(lines.count >= 40, "a line per applied change: \(lines.count)")
        let history = try project.reconcile("history", "--env", "dev", "--output", "json")
        let applies = (try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [String: Any])?["applies"] as? [[String: Any]] ?? []
        #expect(applies.first?["outcome"] as? String == "stopped", "\(history.stdout.prefix(400))")
        let unlock = try project.reconcile("unlock", "--env", "dev")
        #expect(unlock.stdout.contains("dev is not locked"), "the lock is free: \(unlock.output)")
        try project.apply("dev")
        #expect(try project.reconcile("plan", "--env", "dev").code == 0)
    }

    @Test func fourAppliesRacingForADeadHoldersLockOneWins() throws {
        let project = try Project()
        try project.apply("dev")
        let state = project.url.appendingPathComponent(".lakehouse/dev/.reconcile/state.db")
        let namespace = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid")
        let host = ProcessInfo.processInfo.hostName
        for round in 0..<20 {
            try project.write("manifests/flag\(round).yaml", """
                apiVersion: reconcile/v1
                kind: FeatureFlag
                metadata: { name: round-\(round) }
                spec: { variants: { "on": true, "off": false }, defaultVariant: "off" }
                """)
            try project.commit("round \(round)")
            // A holder that has exited: its pid is free (or reused by a younger process).
            let gone = Process()
            gone.executableURL = URL(fileURLWithPath: "/bin/true")
            try gone.run()
            gone.waitUntilExit()
            _ = try sqlite(state, "INSERT INTO locks (environment, owner, pid, host, process_start, since, command, pid_namespace) VALUES ('dev', 'dead', \(gone.processIdentifier), '\(host)', '1', 0, 'apply', '\(namespace)')")
            let before = Int(try sqlite(state, "SELECT count(*) FROM applies WHERE outcome = 'succeeded'")) ?? -1
            let racers = (0..<4).map { _ -> (Process, Pipe) in
                let process = Process()
                process.executableURL = URL(fileURLWithPath: Paths.reconcile)
                process.arguments = ["apply", "--env", "dev"]
                process.currentDirectoryURL = project.url
                let errors = Pipe()
                process.standardOutput = FileHandle.nullDevice
                process.standardError = errors
                return (process, errors)
            }
            for (process, _) in racers { try process.run() }
            var tookOver = 0
            for (process, errors) in racers {
                let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                if text.contains("took over its stale lock") { tookOver += 1 }
                #expect(process.terminationStatus == 0 || text.contains("is locked"), "round \(round): \(text)")
            }
            let after = Int(try sqlite(state, "SELECT count(*) FROM applies WHERE outcome = 'succeeded'")) ?? -1
            #expect(tookOver == 1, "round \(round): exactly one takes the dead holder's lock")
            #expect(after - before == 1, "round \(round): exactly one applies")
            #expect(try sqlite(state, "SELECT count(*) FROM locks") == "0")
        }
    }

    @Test func aHolderInAnotherPIDNamespaceIsNotProvablyDead() throws {
        let project = try Project()
        try project.apply("dev")
        let state = project.url.appendingPathComponent(".lakehouse/dev/.reconcile/state.db")
        _ = try sqlite(state, "INSERT INTO locks (environment, owner, pid, host, process_start, since, command, pid_namespace) VALUES ('dev', 'elsewhere', 999999, '\(ProcessInfo.processInfo.hostName)', '1', 0, 'apply', 'pid:[1]')")
        let apply = try project.reconcile("apply", "--env", "dev")
        #expect(apply.code == 1)
        #expect(apply.stderr.contains("in another PID namespace") && apply.stderr.contains("unlock --env dev --force"), "\(apply.stderr)")
        let unlock = try project.reconcile("unlock", "--env", "dev")
        #expect(unlock.code == 1, "\(unlock.output)")
        let forced = try project.reconcile("unlock", "--env", "dev", "--force")
        #expect(forced.code == 0, "\(forced.output)")
        try project.apply("dev")
    }

    /// Runs `script` with the lakehouse root on a tmpfs of `size`, in a mount namespace
    /// of its own (unshare -m: the mount goes with the process). Needs root, as CI is.
    func withSmallDisk(_ project: Project, size: String, _ script: String) throws -> ProcessResult {
        try FileManager.default.createDirectory(at: project.url.appendingPathComponent(".lakehouse/dev"), withIntermediateDirectories: true)
        return try Shell.run("unshare", ["-m", "sh", "-c", "mount -t tmpfs -o size=\(size) tmpfs .lakehouse/dev && " + script], in: project.url,
                             environment: ["RECONCILE": Paths.reconcile])
    }

    @Test func aFullDiskIsRecordedAsFailedAndReleasesTheLock() throws {
        let project = try InterruptionTests().bulk(1200)
        let result = try withSmallDisk(project, size: "4m", """
            "$RECONCILE" apply --env dev > apply.out 2> apply.err; echo $? > apply.code
            "$RECONCILE" history --env dev --output json > history.json
            sqlite3 .lakehouse/dev/.reconcile/state.db 'SELECT count(*) FROM locks' > locks.txt
            """)
        #expect(result.code == 0, "\(result.output)")
        #expect(try project.read("apply.code").trimmingCharacters(in: .whitespacesAndNewlines) == "1")
        let errors = try project.read("apply.err")
        #expect(errors.contains("disk full (no space left on device)") && errors.contains("/.lakehouse/dev/main/bulk/"), "names the path and says disk full: \(errors)")
        let applies = (try JSONSerialization.jsonObject(with: Data(try project.read("history.json").utf8)) as? [String: Any])?["applies"] as? [[String: Any]] ?? []
        #expect(applies.first?["outcome"] as? String == "failed", "\(applies.first ?? [:])")
        let changes = applies.first?["changes"] as? [[String: Any]] ?? []
        let applied = changes.filter { $0["status"] as? String == "applied" }.count
        #expect(applied > 0 && applied < changes.count, "history counts what was applied: \(applied) of \(changes.count)")
        #expect(errors.contains("apply failed: \(applied) of \(changes.count) changes applied"), "\(errors)")
        #expect(try project.read("locks.txt").trimmingCharacters(in: .whitespacesAndNewlines) == "0", "the lock is released")
    }

    @Test func aReadOnlyRootIsNamed() throws {
        let project = try Project()
        let result = try withSmallDisk(project, size: "4m", """
            mount -o remount,ro .lakehouse/dev && "$RECONCILE" apply --env dev 2>&1; echo "exit $?"
            """)
        #expect(result.stdout.contains("exit 1"), "\(result.output)")
        #expect(result.stdout.contains(".lakehouse/dev") && result.stdout.contains("Read-only file system"), "\(result.output)")
    }
}
