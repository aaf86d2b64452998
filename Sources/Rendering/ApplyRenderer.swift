import Model

/// Renders the outcome of an apply.
public enum ApplyRenderer {
    public static func render(_ report: ApplyReport, as format: OutputFormat, style: TerminalStyle = .plain) -> String {
        switch format {
        case .json: return JSONText.encode(json(report))
        case .human, .markdown: return human(report, style: style)
        }
    }

    static func human(_ report: ApplyReport, style: TerminalStyle) -> String {
        var out = ""
        for result in report.results {
            switch result.outcome {
            case .applied:
                out += "  " + style.paint("✓", .green) + " \(result.action.rawValue) \(result.id)\n"
            case .failed(let message):
                out += "  " + style.paint("✗", .red) + " \(result.action.rawValue) \(result.id): \(message)\n"
            case .notAttempted:
                out += "  " + style.paint("·", .dim) + " \(result.action.rawValue) \(result.id): not attempted\n"
            }
        }
        let total = report.outcomes.count
        if report.succeeded {
            out += "\nApply complete: \(total) change\(total == 1 ? "" : "s") applied to \(report.plan.environment).\n"
        } else {
            let skipped = report.outcomes.filter { $0 == .notAttempted }.count
            out += "\nApply failed: \(report.appliedCount) of \(total) changes applied, 1 failed, \(skipped) not attempted. Fix the cause and run apply again; it picks up from what exists.\n"
        }
        return out
    }

    public static func json(_ report: ApplyReport) -> Value {
        .object([
            "formatVersion": .int(PlanRenderer.formatVersion),
            "environment": .string(report.plan.environment),
            "revision": .string(report.plan.revision),
            "succeeded": .bool(report.succeeded),
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
            "requests": .object(report.requests.mapValues { .int($0) }),
        ])
    }
}
