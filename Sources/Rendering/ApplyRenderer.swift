import Model

/// Renders the outcome of an apply.
public enum ApplyRenderer {
    public static func render(_ report: ApplyReport, as format: OutputFormat, style: TerminalStyle = .plain, run: RunReport = RunReport()) -> String {
        switch format {
        case .json: return JSONText.encode(json(report, run: run))
        case .human, .markdown: return human(report, style: style)
        }
    }

    static func human(_ report: ApplyReport, style: TerminalStyle) -> String {
        report.results.filter { $0.outcome != .notAttempted }.map { line($0.id, $0.action, $0.outcome, style: style) }.joined()
            + summary(report, style: style)
    }

    /// One change's line, printed as soon as its outcome is recorded.
    public static func line(_ id: ResourceID, _ action: Action, _ outcome: ApplyReport.Outcome, style: TerminalStyle = .plain) -> String {
        let result = (id: id, action: action, outcome: outcome)
        switch result.outcome {
        case .applied:
            return "  " + style.paint("✓", .green) + " \(result.action.rawValue) \(result.id)\n"
        case .failed(let message):
            return "  " + style.paint("✗", .red) + " \(result.action.rawValue) \(result.id): \(message)\n"
        case .notAttempted:
            return "  " + style.paint("·", .dim) + " \(result.action.rawValue) \(result.id): not attempted\n"
        }
    }

    /// The lines for changes never attempted, then the closing summary.
    public static func summary(_ report: ApplyReport, style: TerminalStyle = .plain) -> String {
        var out = report.results.filter { $0.outcome == .notAttempted }.map { line($0.id, $0.action, $0.outcome, style: style) }.joined()
        let total = report.outcomes.count
        let skipped = report.outcomes.filter { $0 == .notAttempted }.count
        if report.stopped {
            out += "\nApply stopped: \(report.appliedCount) of \(total) changes applied, \(skipped) not attempted. It is recorded as stopped; run apply again to finish.\n"
        } else if report.succeeded {
            out += "\nApply complete: \(total) change\(total == 1 ? "" : "s") applied to \(report.plan.environment).\n"
        } else {
            out += "\nApply failed: \(report.appliedCount) of \(total) changes applied, 1 failed, \(skipped) not attempted. Fix the cause and run apply again; it picks up from what exists.\n"
        }
        return out
    }

    public static func json(_ report: ApplyReport, run: RunReport = RunReport()) -> Value {
        .object([
            "formatVersion": .int(PlanRenderer.formatVersion),
            "environment": .string(report.plan.environment),
            "revision": .string(report.plan.revision),
            "succeeded": .bool(report.succeeded),
            "stopped": .bool(report.stopped),
            "results": .array(report.results.map { result in
                var entry: [String: Value] = ["resource": .string(result.id.description), "action": .string(result.action.rawValue)]
                switch result.outcome {
                case .applied: entry["outcome"] = .string("applied")
                case .failed(let message): entry["outcome"] = .string("failed"); entry["error"] = .string(message)
                case .notAttempted: entry["outcome"] = .string("not-attempted")
                }
                return .object(entry)
            }),
            "plan": PlanRenderer.json(report.plan),
            "requests": .object(run.requests.mapValues { .int($0) }),
        ])
    }
}
