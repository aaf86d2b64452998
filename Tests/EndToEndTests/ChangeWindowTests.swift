import Foundation
import Testing
import TestSupport

/// Change windows as a user meets them (#15): a closed window refuses apply with when
/// it opens, an override goes through and is audited, watch waits, and a mistyped
/// window is an error with its position.
@Suite struct ChangeWindowE2ETests {
    /// Denied every minute for two minutes: closed whenever the test runs.
    static let alwaysClosed = "\n  windows:\n    - { kind: deny, schedule: \"* * * * *\", duration: 2m }\n"

    @Test func aClosedWindowRefusesApplyUnlessOverriddenWithAReason() throws {
        let project = try Project()
        try project.write("environments/dev.yaml", Project.devEnvironment + Self.alwaysClosed)
        try project.commit("a freeze")
        let plan = try project.reconcile("plan", "--env", "dev")
        #expect(plan.code == 2 && plan.stdout.contains("Change window: closed by deny window \"* * * * *\" for 2m (UTC), not opening within a year"), "\(plan.output)")
        let refused = try project.reconcile("apply", "--env", "dev")
        #expect(refused.code == 1, "\(refused.output)")
        #expect(refused.stderr.contains("environments/dev.yaml:9:7: error: environment dev is in a closed change window"), "positioned at the window: \(refused.output)")
        #expect(!FileManager.default.fileExists(atPath: project.url.appendingPathComponent(".lakehouse/dev/main").path), "nothing was applied")
        let short = try project.reconcile("apply", "--env", "dev", "--override-window", "x")
        #expect(short.code == 1 && short.stderr.contains("--override-window needs a reason"), "\(short.output)")
        let through = try project.reconcile("apply", "--env", "dev", "--override-window", "hotfix INC-42")
        #expect(through.code == 0, "\(through.output)")
        let audit = try project.reconcile("audit", "--env", "dev")
        #expect(audit.stdout.contains("refusal") && audit.stdout.contains("went through the closed change window") && audit.stdout.contains("hotfix INC-42"), "\(audit.output)")
    }

    @Test func mistypedWindowsArePositionedErrors() throws {
        let project = try Project()
        try project.write("environments/dev.yaml", Project.devEnvironment + """

          windows:
            - { kind: block, schedule: "0 22 * *", duration: forever, timezone: Mars/Olympus }
        """)
        try project.commit("broken windows")
        let result = try project.reconcile("validate")
        #expect(result.code == 1)
        for message in ["spec.windows[0].kind must be allow or deny, not \"block\"", "spec.windows[0].schedule: \"0 22 * *\" has 4 fields",
                        "spec.windows[0].duration \"forever\" is not a positive duration", "spec.windows[0].timezone \"Mars/Olympus\" is not a time zone"] {
            #expect(result.stderr.contains(message), "\(message) in \(result.output)")
        }
    }

    @Test func watchWaitsForTheWindow() throws {
        let project = try WatchTests().project()
        try project.write("environments/dev.yaml", try project.read("environments/dev.yaml") + Self.alwaysClosed)
        try project.commit("a freeze")
        let watcher = try Watcher(project, arguments: ["--env", "dev"])
        try watcher.wait(30, "a cycle") { try watcher.status()["sync"] as? String == "OutOfSync" }
        #expect(!FileManager.default.fileExists(atPath: project.url.appendingPathComponent(".lakehouse/dev/flags.json").path), "nothing applied while closed")
        #expect(watcher.logText.contains("changes wait for the change window"), "\(watcher.logText.suffix(2000))")
        #expect(watcher.stop() == 0)
    }
}
