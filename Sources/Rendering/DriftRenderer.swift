import Model

/// Renders a drift report: per resource and field, what the target has against what
/// the applied revision declares.
public enum DriftRenderer {
    public static func render(_ report: DriftReport, as format: OutputFormat, style: TerminalStyle = .plain) -> String {
        switch format {
        case .json: return JSONText.encode(json(report))
        case .human: return human(report, style: style)
        case .markdown: return markdown(report)
        }
    }

    static func header(_ report: DriftReport) -> String {
        let against = report.appliedAt.map { "revision \(report.plan.shortRevision), applied \(LockInfo.format($0))" }
            ?? "revision \(report.plan.shortRevision) (no apply recorded yet, so the environment's current revision)"
        return "Drift of environment \(report.environment) against \(against)"
    }

    static func human(_ report: DriftReport, style: TerminalStyle) -> String {
        var out = header(report) + "\n"
        if report.hasDrift || !report.plan.unmanaged.isEmpty || !report.plan.notices.isEmpty { out += "\n" }
        for change in report.plan.changes {
            switch change.action {
            case .create:
                out += "  " + style.paint("missing", .red) + " \(change.id)" + (change.origin.map { " (declared at \($0))" } ?? "") + "\n"
            case .update, .replace:
                out += "  " + style.paint("changed", .yellow) + " \(change.id)\n"
                for field in change.fields { out += "      " + fieldLine(field) + "\n" }
            case .delete:
                out += "  " + style.paint("extra", .magenta) + " \(change.id): created by this environment and no longer declared\n"
            }
        }
        for id in report.plan.unmanaged {
            out += "  " + style.paint("unmanaged", .dim) + " \(id): not declared and not created by this environment (not counted as drift)\n"
        }
        for notice in report.plan.notices {
            out += "  note: \(notice.id): \(PlanText.notice(notice))\n"
        }
        out += "\n" + (report.hasDrift
            ? "Drift: \(report.changed.count) changed, \(report.missing.count) missing, \(report.extra.count) extra. Run reconcile drift --env \(report.environment) --heal to restore the declared state.\n"
            : "No drift: the target matches revision \(report.plan.shortRevision).\n")
        return out
    }

    /// `property quality: "gold" here, declared "silver"`.
    static func fieldLine(_ field: FieldChange) -> String {
        let name = field.segments.joined(separator: ".")
        switch field.op {
        case .change: return "\(name): \(FieldText.text(field.before)) here, declared \(FieldText.text(field.after))"
        case .add: return "\(name): missing here, declared \(FieldText.text(field.after))"
        case .remove: return "\(name): \(FieldText.text(field.before)) here, not declared"
        }
    }

    static func markdown(_ report: DriftReport) -> String {
        var out = "### \(header(report))\n\n"
        guard report.hasDrift else { return out + "**No drift.**\n" }
        out += "| Resource | State | Field | Here | Declared |\n|---|---|---|---|---|\n"
        for change in report.plan.changes {
            let state = change.action == .create ? "missing" : change.action == .delete ? "extra" : "changed"
            if change.fields.isEmpty || change.action != .update && change.action != .replace {
                out += "| `\(change.id)` | \(state) | | | |\n"
            }
            if change.action == .update || change.action == .replace {
                for field in change.fields {
                    out += "| `\(change.id)` | \(state) | `\(field.path)` | \(PlanRenderer.escape(FieldText.text(field.before))) | \(PlanRenderer.escape(FieldText.text(field.after))) |\n"
                }
            }
        }
        return out
    }

    public static func json(_ report: DriftReport) -> Value {
        var object: [String: Value] = [
            "formatVersion": .int(PlanRenderer.formatVersion),
            "environment": .string(report.environment),
            "revision": .string(report.revision),
            "drifted": .bool(report.hasDrift),
            "resources": .array(report.plan.changes.map { change in
                let state = change.action == .create ? "missing" : change.action == .delete ? "extra" : "changed"
                return .object([
                    "resource": .string(change.id.description), "state": .string(state),
                    "fields": .array(change.fields.map { field in
                        var entry: [String: Value] = ["path": .string(field.path), "op": .string(field.op.rawValue)]
                        if let before = field.before { entry["observed"] = before }
                        if let after = field.after { entry["declared"] = after }
                        return .object(entry)
                    }),
                ])
            }),
            "unmanaged": .array(report.plan.unmanaged.map { .string($0.description) }),
        ]
        if let appliedAt = report.appliedAt { object["appliedAt"] = .string(LockInfo.format(appliedAt)) }
        return .object(object)
    }
}
