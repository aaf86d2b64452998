import Model

/// Renders plans and apply reports. Renderers only render: every fact comes from
/// the `Plan` value.
public enum OutputFormat: String, Sendable, CaseIterable {
    case human, json, markdown
}

public enum PlanRenderer {
    /// Bumped when the JSON shape changes incompatibly.
    public static let formatVersion = 1

    public static func render(_ plan: Plan, as format: OutputFormat, style: TerminalStyle = .plain, run: RunReport = RunReport()) -> String {
        switch format {
        case .human: return human(plan, style: style, run: run)
        case .json: return JSONText.encode(json(plan, run: run))
        case .markdown: return markdown(plan)
        }
    }

    // MARK: Human

    static func human(_ plan: Plan, style: TerminalStyle, run: RunReport) -> String {
        var out = "Plan for environment \(plan.environment) at \(plan.shortRevision) on \(plan.target)\n\n"
        guard plan.hasChanges else {
            out += "No changes. The target matches the manifests (\(plan.unchanged.count) resource\(plan.unchanged.count == 1 ? "" : "s")).\n"
            return out + leftOut(plan) + notes(plan, run: run)
        }
        for change in plan.changes {
            let color: TerminalStyle.Color = [.create: .green, .update: .yellow, .replace: .magenta, .delete: .red][change.action]!
            var header = change.adopts
                ? "  " + style.paint("<=", .cyan) + " " + style.paint(change.id.description, .bold) + style.paint("  (adopt: exists, not created by this environment)", .cyan)
                : "  " + style.paint(FieldText.actionSymbol(change.action), color) + " " + style.paint(change.id.description, .bold)
            if change.isDestructive { header += style.paint("  (destructive)", .red) }
            out += header + "\n"
            for field in change.fields {
                let line = FieldText.line(field)
                let fieldColor: TerminalStyle.Color = field.op == .add ? .green : field.op == .remove ? .red : .yellow
                out += "      " + style.paint(line, fieldColor) + "\n"
            }
            for reason in PlanText.reasons(change.destructiveReasons) {
                out += "      " + style.paint("! \(reason)", .red) + "\n"
            }
            for checked in change.dataChecks where checked.permits(allowingUnverified: true) {
                out += "      " + style.paint("checked: \(PlanText.evidence(checked))", .cyan) + "\n"
            }
            if let refusal = change.refusal {
                out += "      " + style.paint("✗ refused: \(PlanText.refusal(refusal, of: change))", .red) + "\n"
            }
        }
        out += "\n" + summary(plan) + "\n"
        if !plan.changesTarget {
            out += "Nothing changes in the target: applying records the adopted resources in the inventory.\n"
        }
        if let window = windowLine(plan) { out += window + "\n" }
        return out + leftOut(plan) + notes(plan, run: run)
    }

    /// The change window in words, when the environment has windows.
    static func windowLine(_ plan: Plan) -> String? {
        guard let window = plan.window else { return nil }
        let next = window.next.map(LockInfo.format)
        if window.open {
            return "Change window: open" + (next.map { " until \($0)" } ?? "") + "."
        }
        return "Change window: closed by \(window.closedBy.joined(separator: ", "))" + (next.map { " until \($0)" } ?? ", not opening within a year")
            + "; apply waits for it, or takes --override-window REASON (recorded in the audit trail)."
    }

    /// What `--select` kept out of the plan: a few named, the rest counted.
    static func leftOut(_ plan: Plan) -> String {
        guard !plan.selection.isEmpty else { return "" }
        let shown = plan.leftOut.prefix(10).map(\.description).joined(separator: ", ")
        let more = plan.leftOut.count > 10 ? " and \(plan.leftOut.count - 10) more" : ""
        let count = "\(plan.leftOut.count) change\(plan.leftOut.count == 1 ? "" : "s")"
        return "Selected by --select \(plan.selection.joined(separator: " ")); left out: \(plan.leftOut.isEmpty ? "nothing" : count + " (" + shown + more + ")").\n"
    }

    static func summary(_ plan: Plan) -> String {
        let adopt = plan.adoptions > 0 ? ", \(plan.adoptions) to adopt" : ""
        var text = "Plan: \(plan.count(.create)) to create, \(plan.count(.update)) to update, \(plan.count(.replace)) to replace, \(plan.count(.delete)) to delete\(adopt); \(plan.unchanged.count) unchanged."
        let refused = plan.refusals.count
        if refused > 0 { text += " \(refused) refused by policy." }
        return text
    }

    static func notes(_ plan: Plan, run: RunReport) -> String {
        var out = ""
        if !run.requests.isEmpty {
            out += "\nRequests made: " + run.requests.keys.sorted().map { "\($0): \(run.requests[$0]!)" }.joined(separator: ", ") + "\n"
        }
        if !plan.unmanaged.isEmpty {
            out += "\nNot managed by this environment (left alone): " + plan.unmanaged.map(\.description).joined(separator: ", ") + "\n"
        }
        for notice in plan.notices {
            out += "\nNote: \(notice.id): \(PlanText.notice(notice))\n"
        }
        if !plan.orphaned.isEmpty {
            out += "\nCreated by this environment but no longer declared, kept (prune is off, or something unmanaged is inside): "
                + plan.orphaned.map(\.description).joined(separator: ", ") + "\n"
        }
        return out
    }

    // MARK: JSON

    public static func json(_ plan: Plan, run: RunReport = RunReport()) -> Value {
        .object([
            "formatVersion": .int(formatVersion),
            "environment": .string(plan.environment),
            "revision": .string(plan.revision),
            "target": .string(plan.target),
            "hasChanges": .bool(plan.hasChanges),
            "summary": .object([
                "create": .int(plan.count(.create)), "update": .int(plan.count(.update)),
                "replace": .int(plan.count(.replace)), "delete": .int(plan.count(.delete)),
                "unchanged": .int(plan.unchanged.count), "refused": .int(plan.refusals.count), "adopt": .int(plan.adoptions),
            ]),
            "changes": .array(plan.changes.map(json)),
            "unchanged": .array(plan.unchanged.map { .string($0.description) }),
            "unmanaged": .array(plan.unmanaged.map { .string($0.description) }),
            "orphaned": .array(plan.orphaned.map { .string($0.description) }),
            "notices": .array(plan.notices.map { .object(["resource": .string($0.id.description), "message": .string(PlanText.notice($0))]) }),
            "requests": .object(run.requests.mapValues { .int($0) }),
            "selection": .array(plan.selection.map(Value.string)),
            "leftOut": .array(plan.leftOut.map { .string($0.description) }),
            "window": plan.window.map { window in
                .object(["open": .bool(window.open), "closedBy": .array(window.closedBy.map(Value.string)),
                         "next": window.next.map { .string(LockInfo.format($0)) } ?? .null])
            } ?? .null,
        ])
    }

    static func json(_ change: Change) -> Value {
        var object: [String: Value] = [
            "resource": .string(change.id.description),
            "kind": .string(change.id.kind.rawValue),
            "name": .string(change.id.name),
            "action": .string(change.action.rawValue),
            "destructive": .bool(change.isDestructive),
            "adopt": .bool(change.adopts),
            "destructiveReasons": .array(PlanText.reasons(change.destructiveReasons).map(Value.string)),
            "reasons": .array(change.reasons.map(Value.string)),
            "fields": .array(change.fields.map { field in
                var entry: [String: Value] = ["op": .string(field.op.rawValue), "path": .string(field.path)]
                if let before = field.before { entry["before"] = before }
                if let after = field.after { entry["after"] = after }
                if let reason = field.destructiveReason { entry["destructiveReason"] = .string(PlanText.reason(reason)) }
                return .object(entry)
            }),
            "before": change.observed?.spec.canonical ?? .null,
            "after": change.desired?.spec.canonical ?? .null,
            "refused": change.refusal.map { .string(PlanText.refusal($0, of: change)) } ?? .null,
        ]
        if !change.dataChecks.isEmpty {
            object["dataChecks"] = .array(change.dataChecks.map { checked in
                var entry: [String: Value] = ["check": .string(PlanText.subject(checked.check)), "evidence": .string(PlanText.evidence(checked))]
                if let evidence = checked.evidence {
                    switch evidence.verdict {
                    case .holds: entry["verdict"] = "holds"
                    case .violated: entry["verdict"] = "violated"
                    case .unverifiable: entry["verdict"] = "unverifiable"
                    case .checkedByTarget: entry["verdict"] = "checkedByTarget"
                    }
                    entry["failingRows"] = .int(evidence.failingRows)
                    entry["failingFiles"] = .int(evidence.failingFiles)
                    entry["files"] = .int(evidence.files)
                } else {
                    entry["verdict"] = "unchecked"
                }
                return .object(entry)
            })
        }
        if let origin = change.desired?.origin { object["source"] = .string(origin.description) }
        return .object(object)
    }

    // MARK: Markdown

    static func markdown(_ plan: Plan) -> String {
        var out = "### reconcile plan for `\(plan.environment)` at `\(plan.shortRevision)`\n\n"
        guard plan.hasChanges else {
            return out + "**No changes.** The target (`\(plan.target)`) matches the manifests.\n"
        }
        out += "**\(summary(plan))** Target: `\(plan.target)`.\n\n"
        if let window = plan.window, !window.open, let line = windowLine(plan) {
            out += "> [!IMPORTANT]\n> \(escape(line))\n\n"
        }
        if !plan.refusals.isEmpty {
            out += "> [!CAUTION]\n> \(plan.refusals.count) change\(plan.refusals.count == 1 ? " is" : "s are") refused by the environment's policy.\n\n"
        } else if plan.changes.contains(where: \.isDestructive) {
            out += "> [!WARNING]\n> This plan contains destructive changes.\n\n"
        }
        out += "| | Resource | Action | Notes |\n|---|---|---|---|\n"
        for change in plan.changes {
            var notes = PlanText.reasons(change.destructiveReasons).map { "⚠️ " + escape($0) }
            notes += change.dataChecks.filter { $0.permits(allowingUnverified: true) }.map { "✔︎ checked: " + escape(PlanText.evidence($0)) }
            if let refusal = change.refusal { notes.append("⛔ refused: " + escape(PlanText.refusal(refusal, of: change))) }
            let (symbol, action) = change.adopts ? ("<=", "adopt") : (FieldText.actionSymbol(change.action), change.action.rawValue)
            out += "| `\(symbol)` | `\(change.id)` | \(action) | \(notes.joined(separator: "<br>")) |\n"
        }
        for change in plan.changes where !change.fields.isEmpty {
            out += "\n<details><summary><code>\(change.id)</code></summary>\n\n```diff\n"
            out += change.fields.map(FieldText.line).joined(separator: "\n")
            out += "\n```\n</details>\n"
        }
        return out
    }

    static func escape(_ text: String) -> String {
        text.replacing("|", with: "\\|").replacing("\n", with: " ")
    }
}

/// Deterministic JSON text of a `Value`.
public enum JSONText {
    public static func encode(_ value: Value) -> String {
        var out = ""
        write(value, into: &out, indent: "")
        return out + "\n"
    }

    static func write(_ value: Value, into out: inout String, indent: String) {
        let inner = indent + "  "
        switch value {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .int(let number): out += String(number)
        case .double(let number): out += number.isFinite ? String(number) : "null"
        case .string(let text): out += quote(text)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += inner
                write(item, into: &out, indent: inner)
                out += index == items.count - 1 ? "\n" : ",\n"
            }
            out += indent + "]"
        case .object(let fields):
            if fields.isEmpty { out += "{}"; return }
            out += "{\n"
            let keys = fields.keys.sorted()
            for (index, key) in keys.enumerated() {
                out += inner + quote(key) + ": "
                write(fields[key]!, into: &out, indent: inner)
                out += index == keys.count - 1 ? "\n" : ",\n"
            }
            out += indent + "}"
        }
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
