import Foundation
import Model

/// How a `Pipeline` manifest maps onto the Databricks Pipelines API, and a schedule
/// onto the job that triggers it. Pure: the target sends and reads what this builds.
///
/// - Libraries are repository paths; in the workspace they are files under the
///   target's `files` folder (a Git folder holding this repository).
/// - `produces` / `consumes` have no place in a pipeline's settings, so they travel
///   in its configuration as `reconcile.produces` / `reconcile.consumes` and are read
///   back from there: lineage edited in the workspace is drift like anything else.
/// - A schedule is a job (`<name> (schedule)`) with one pipeline task; a 5-field cron
///   becomes Quartz (`0 */6 * * *` → `0 0 */6 * * ?`), and the original text is kept
///   as the job's `reconcile-cron` tag so an unchanged schedule reads back as written.
public enum PipelineMapping {
    static let producesKey = "reconcile.produces"
    static let consumesKey = "reconcile.consumes"
    static let cronTag = "reconcile-cron"

    public static func jobName(_ pipeline: String) -> String { "\(pipeline) (schedule)" }

    /// The pipeline settings for `spec`, as `POST /api/2.0/pipelines` takes them.
    public static func settings(name: String, spec: PipelineSpec, files: String) -> [String: Value] {
        var configuration = spec.configuration
        if !spec.produces.isEmpty { configuration[producesKey] = spec.produces.joined(separator: ",") }
        if !spec.consumes.isEmpty { configuration[consumesKey] = spec.consumes.joined(separator: ",") }
        var settings: [String: Value] = [
            "name": .string(name),
            "catalog": .string(spec.catalog),
            "target": .string(spec.target),
            "libraries": .array(spec.libraries.map { .object(["file": .object(["path": .string(files + "/" + $0)])]) }),
            "continuous": .bool(spec.continuous),
            "development": .bool(spec.development),
        ]
        if !configuration.isEmpty { settings["configuration"] = .strings(configuration) }
        return settings
    }

    /// The manifest view of a pipeline's `spec` as `GET /api/2.0/pipelines/{id}` returns it.
    public static func spec(from settings: Value, files: String, schedule: Schedule?) -> PipelineSpec {
        var configuration: [String: String] = [:]
        if case .object(let fields)? = settings["configuration"] { configuration = fields.compactMapValues(\.stringValue) }
        let produces = configuration.removeValue(forKey: producesKey).map(split) ?? []
        let consumes = configuration.removeValue(forKey: consumesKey).map(split) ?? []
        var libraries: [String] = []
        if case .array(let entries)? = settings["libraries"] {
            for entry in entries {
                guard let path = entry["file"]?["path"]?.stringValue ?? entry["notebook"]?["path"]?.stringValue else { continue }
                libraries.append(path.hasPrefix(files + "/") ? String(path.dropFirst(files.count + 1)) : path)
            }
        }
        return PipelineSpec(
            catalog: settings["catalog"]?.stringValue ?? "", target: settings["target"]?.stringValue ?? settings["schema"]?.stringValue ?? "",
            libraries: libraries, configuration: configuration,
            continuous: settings["continuous"] == .bool(true), schedule: schedule, development: settings["development"] == .bool(true),
            produces: produces, consumes: consumes)
    }

    private static func split(_ text: String) -> [String] { text.split(separator: ",").map(String.init) }

    /// The settings of the job that runs pipeline `id` on `schedule`.
    public static func jobSettings(pipeline name: String, id: String, schedule: Schedule) throws(QuartzError) -> [String: Value] {
        [
            "name": .string(jobName(name)),
            "tags": .object([cronTag: .string(schedule.cron), "reconcile-pipeline": .string(name)]),
            "max_concurrent_runs": .int(1),
            "schedule": .object([
                "quartz_cron_expression": .string(try quartz(schedule.cron)),
                "timezone_id": .string(schedule.timezone),
                "pause_status": .string("UNPAUSED"),
            ]),
            "tasks": .array([.object(["task_key": .string("refresh"), "pipeline_task": .object(["pipeline_id": .string(id)])])]),
        ]
    }

    /// The schedule a job's settings say; the tag's text when it still means the same.
    public static func schedule(fromJob settings: Value) -> Schedule? {
        guard let quartzText = settings["schedule"]?["quartz_cron_expression"]?.stringValue else { return nil }
        let timezone = settings["schedule"]?["timezone_id"]?.stringValue ?? "UTC"
        if let written = settings["tags"]?[cronTag]?.stringValue, (try? quartz(written)) == quartzText {
            return Schedule(cron: written, timezone: timezone)
        }
        return Schedule(cron: quartzText, timezone: timezone)
    }

    public struct QuartzError: Error, Equatable {
        public var message: String
    }

    /// A 5-field cron (minute hour day-of-month month day-of-week, Sunday = 0 or 7) as
    /// Quartz (second minute hour day-of-month month day-of-week, Sunday = 1, one of the
    /// two days `?`). Quartz text (6 or 7 fields) passes through.
    public static func quartz(_ cron: String) throws(QuartzError) -> String {
        let fields = cron.split(whereSeparator: \.isWhitespace).map(String.init)
        if fields.count == 6 || fields.count == 7 { return fields.joined(separator: " ") }
        guard fields.count == 5 else { throw QuartzError(message: "\"\(cron)\" has \(fields.count) fields; write 5 (cron) or 6-7 (Quartz)") }
        var (dayOfMonth, dayOfWeek) = (fields[2], fields[4])
        switch (dayOfMonth == "*", dayOfWeek == "*") {
        case (_, true): dayOfWeek = "?"
        case (true, false): dayOfMonth = "?"; dayOfWeek = try quartzWeekdays(dayOfWeek)
        case (false, false):
            throw QuartzError(message: "\"\(cron)\" restricts both the day of the month and the day of the week, which Quartz cannot say; write the Quartz expression")
        }
        return ["0", fields[0], fields[1], dayOfMonth, fields[3], dayOfWeek].joined(separator: " ")
    }

    /// Cron weekday numbers (0-7, Sunday 0 and 7) as Quartz's (1-7, Sunday 1), in
    /// lists, ranges and steps; names (MON-FRI) pass through.
    static func quartzWeekdays(_ field: String) throws(QuartzError) -> String {
        func day(_ text: Substring) throws(QuartzError) -> String {
            guard let number = Int(text) else { return String(text).uppercased() }
            guard (0...7).contains(number) else { throw QuartzError(message: "day of the week \(number) is not 0-7") }
            return String(number % 7 + 1)
        }
        var parts: [String] = []
        for item in field.split(separator: ",") {
            let step = item.split(separator: "/", maxSplits: 1)
            let range = step[0].split(separator: "-", maxSplits: 1)
            var text = step[0] == "*" ? "*" : try range.map { (part: Substring) throws(QuartzError) -> String in try day(part) }.joined(separator: "-")
            if step.count == 2 { text += "/" + step[1] }
            parts.append(text)
        }
        return parts.joined(separator: ",")
    }
}

extension DatabricksWorkspace {
    // MARK: Pipelines

    /// Pipelines named in scope, with the jobs that schedule them: one paged list of
    /// pipelines, then a GET per declared pipeline and a job lookup per declared name.
    func observePipelines(_ names: Set<String>) async throws(TargetError) -> [Resource] {
        guard !names.isEmpty else { return [] }
        var resources: [Resource] = []
        var found: [String: String] = [:]
        for status in try await paged("/api/2.0/pipelines", ["max_results": "100"], key: "statuses", pageSize: nil) {
            guard let name = status["name"]?.stringValue, names.contains(name), let id = status["pipeline_id"]?.stringValue else { continue }
            if found[name] != nil {
                throw TargetError(ResourceID(.pipeline, name), "the workspace has two pipelines named \"\(name)\"; rename or delete one so reconcile knows which it manages")
            }
            found[name] = id
        }
        for (name, id) in found.sorted(by: { $0.key < $1.key }) {
            let resourceID = ResourceID(.pipeline, name)
            guard let pipeline = try await getIfExists("/api/2.0/pipelines/\(id)", resourceID) else { continue }
            var remote = ["pipeline_id": id]
            if case .int(let modified)? = pipeline["last_modified"] { remote["last_modified"] = String(modified) }
            var schedule: Schedule?
            if let job = try await scheduleJob(for: name) {
                remote["job_id"] = job.id
                schedule = PipelineMapping.schedule(fromJob: job.settings)
            }
            let spec = PipelineMapping.spec(from: pipeline["spec"] ?? .object([:]), files: files, schedule: schedule)
            resources.append(Resource(id: resourceID, spec: .pipeline(spec), observation: Observation(remote: remote)))
        }
        return resources
    }

    private func scheduleJob(for pipeline: String) async throws(TargetError) -> (id: String, settings: Value)? {
        let jobs = try await paged("/api/2.1/jobs/list", ["name": PipelineMapping.jobName(pipeline), "limit": "25"], key: "jobs", pageSize: nil)
        guard let job = jobs.first, case .int(let id)? = job["job_id"] else { return nil }
        return (String(id), job["settings"] ?? .object([:]))
    }

    func applyPipeline(_ change: Change) async throws(TargetError) {
        let id = change.id
        let remote = change.observed?.observation?.remote ?? [:]
        func send(_ method: String, _ path: String, _ body: Value?) async throws(TargetError) -> Value {
            do {
                return try await client.send(method, path, body: body)
            } catch where error.code == "RESOURCE_CONFLICT" || error.status == 409 {
                throw TargetError(id, "the pipeline was changed in the workspace after the plan was made (\(error.message)); run plan again")
            } catch {
                throw TargetError(id, error.message)
            }
        }
        guard case .pipeline(let spec)? = change.desired?.spec else {
            if let job = remote["job_id"] { _ = try await send("POST", "/api/2.1/jobs/delete", .object(["job_id": .int(Int(job) ?? 0)])) }
            if let pipeline = remote["pipeline_id"] { _ = try await send("DELETE", "/api/2.0/pipelines/\(pipeline)", nil) }
            return
        }
        var settings = PipelineMapping.settings(name: id.name, spec: spec, files: files)
        let pipelineID: String
        if let existing = remote["pipeline_id"] {
            settings["pipeline_id"] = .string(existing)
            if let modified = remote["last_modified"].flatMap(Int.init) { settings["expected_last_modified"] = .int(modified) }
            _ = try await send("PUT", "/api/2.0/pipelines/\(existing)", .object(settings))
            pipelineID = existing
        } else {
            settings["allow_duplicate_names"] = .bool(false)
            guard let created = try await send("POST", "/api/2.0/pipelines", .object(settings))["pipeline_id"]?.stringValue else {
                throw TargetError(id, "the workspace created the pipeline but returned no pipeline_id")
            }
            pipelineID = created
        }
        switch (spec.schedule, remote["job_id"].flatMap(Int.init)) {
        case (let schedule?, let job):
            let jobSettings: [String: Value]
            do { jobSettings = try PipelineMapping.jobSettings(pipeline: id.name, id: pipelineID, schedule: schedule) } catch {
                throw TargetError(id, "spec.schedule.cron: \(error.message)")
            }
            if let job {
                _ = try await send("POST", "/api/2.1/jobs/reset", .object(["job_id": .int(job), "new_settings": .object(jobSettings)]))
            } else {
                _ = try await send("POST", "/api/2.1/jobs/create", .object(jobSettings))
            }
        case (nil, let job?):
            _ = try await send("POST", "/api/2.1/jobs/delete", .object(["job_id": .int(job)]))
        case (nil, nil):
            break
        }
    }
}
