import Foundation
import Testing
import Model
@testable import RemoteTargets

@Suite struct PipelineMappingTests {
    @Test(arguments: [
        ("0 */6 * * *", "0 0 */6 * * ?"),
        ("30 2 * * 1-5", "0 30 2 ? * 2-6"),
        ("0 0 1 * *", "0 0 0 1 * ?"),
        ("15 8 * * 0,6", "0 15 8 ? * 1,7"),
        ("0 9 * * 7", "0 0 9 ? * 1"),
        ("0 9 * * MON-FRI", "0 0 9 ? * MON-FRI"),
        ("0 0 12 ? * WED", "0 0 12 ? * WED"),
    ])
    func cronBecomesQuartz(cron: String, quartz: String) throws {
        #expect(try PipelineMapping.quartz(cron) == quartz)
    }

    @Test func bothDaysCannotBeSaidInQuartz() {
        #expect(throws: PipelineMapping.QuartzError.self) { try PipelineMapping.quartz("0 0 1 * 1") }
        #expect(throws: PipelineMapping.QuartzError.self) { try PipelineMapping.quartz("0 0 * * 9") }
        #expect(throws: PipelineMapping.QuartzError.self) { try PipelineMapping.quartz("0 0 *") }
    }

    @Test func settingsReadBackAsTheSameSpec() throws {
        let spec = PipelineSpec(catalog: "main", target: "silver", libraries: ["pipelines/a.sql", "pipelines/b.py"],
                                configuration: ["k": "v"], continuous: true, schedule: Schedule(cron: "0 */6 * * *", timezone: "UTC"),
                                development: true, produces: ["main.silver.a", "main.silver.b"], consumes: ["main.bronze.raw"])
        let settings = PipelineMapping.settings(name: "p", spec: spec, files: "/Workspace/Repos/x")
        let job = try PipelineMapping.jobSettings(pipeline: "p", id: "id-1", schedule: spec.schedule!)
        let schedule = PipelineMapping.schedule(fromJob: .object(job))
        #expect(PipelineMapping.spec(from: .object(settings), files: "/Workspace/Repos/x", schedule: schedule) == spec)
    }

    @Test func aScheduleEditedInTheWorkspaceReadsAsItsQuartzText() {
        let edited: Value = .object([
            "schedule": .object(["quartz_cron_expression": .string("0 0 */3 * * ?"), "timezone_id": .string("UTC")]),
            "tags": .object(["reconcile-cron": .string("0 */6 * * *")]),
        ])
        #expect(PipelineMapping.schedule(fromJob: edited) == Schedule(cron: "0 0 */3 * * ?", timezone: "UTC"))
    }

    @Test func librariesOutsideTheFilesFolderKeepTheirWorkspacePath() {
        let settings: Value = .object(["libraries": .array([.object(["notebook": .object(["path": .string("/Users/a/nb")])])])])
        #expect(PipelineMapping.spec(from: settings, files: "/Workspace/Repos/x", schedule: nil).libraries == ["/Users/a/nb"])
    }
}

@Suite struct CredentialFileTests {
    @Test func aCredentialFileHoldsOneLine() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reconcile-credentials-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("token"), bad = directory.appendingPathComponent("pem"), empty = directory.appendingPathComponent("empty")
        try "dapi-secret\n".write(to: good, atomically: true, encoding: .utf8)
        try "-----BEGIN KEY-----\nabc\n-----END KEY-----\n".write(to: bad, atomically: true, encoding: .utf8)
        try "\n".write(to: empty, atomically: true, encoding: .utf8)
        #expect(try Credentials.resolve("${file:\(good.path)}") == "dapi-secret")
        do throws(RESTClient.Failure) {
            _ = try Credentials.resolve("${file:\(bad.path)}")
            Issue.record("a file of several lines is refused")
        } catch {
            #expect(error.message.contains("must hold the secret on a single line (it holds several lines)") && !error.message.contains("abc"), "\(error.message)")
        }
        #expect(throws: RESTClient.Failure.self) { try Credentials.resolve("${file:\(empty.path)}") }
    }
}
