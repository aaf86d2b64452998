import Model

/// Words for one field change (`+ column email string`), shared by the human and
/// markdown renderings.
enum FieldText {
    static func symbol(_ op: FieldChange.Op) -> String {
        switch op {
        case .add: return "+"
        case .remove: return "-"
        case .change: return "~"
        }
    }

    static func line(_ field: FieldChange) -> String {
        let segments = field.segments
        let head = segments.first ?? ""
        switch (head, segments.count) {
        case ("columns", 2):
            let name = segments[1]
            let value = field.op == .remove ? field.before : field.after
            return "\(symbol(field.op)) column \(name) \(column(value))"
        case ("columns", _):
            // Types read best bare: `int → bigint`.
            let bare = segments.last == "type"
            return "~ column \(segments[1]).\(segments.dropFirst(2).joined(separator: ".")): \(text(field.before, bare: bare)) → \(text(field.after, bare: bare))"
        case ("grants", 3):
            return field.op == .add ? "+ grant \(segments[2]) to \(segments[1])" : "- revoke \(segments[2]) from \(segments[1])"
        case ("versions", 2):
            let value = field.op == .remove ? field.before : field.after
            return "\(symbol(field.op)) version \(segments[1]) \(text(value))"
        case ("properties", 2), ("constraints", 2):
            let noun = head == "properties" ? "property" : "constraint"
            let name = segments[1]
            switch field.op {
            case .add: return "+ \(noun) \(name) = \(text(field.after))"
            case .remove: return "- \(noun) \(name) (was \(text(field.before)))"
            case .change: return "~ \(noun) \(name): \(text(field.before)) → \(text(field.after))"
            }
        default:
            let name = segments.joined(separator: ".")
            switch field.op {
            case .add: return "+ \(name) = \(text(field.after))"
            case .remove: return "- \(name) (was \(text(field.before)))"
            case .change: return "~ \(name): \(text(field.before)) → \(text(field.after))"
            }
        }
    }

    static func text(_ value: Value?, bare: Bool = false) -> String {
        if bare, let string = value?.stringValue { return string }
        return value?.description ?? "(none)"
    }

    /// `string`, `bigint not null`, `string comment "…"`.
    static func column(_ value: Value?) -> String {
        guard let value, let type = value["type"]?.stringValue else { return text(value) }
        var words = [type]
        if value["nullable"] == .bool(false) { words.append("not null") }
        if let comment = value["comment"]?.stringValue { words.append("comment \"\(comment)\"") }
        if let mask = value["mask"], let function = mask["function"]?.stringValue {
            let using = mask["using"].flatMap { if case .array(let names) = $0, !names.isEmpty { return names.compactMap(\.stringValue) }; return nil }
            words.append("masked by \(function)" + (using.map { " using (\($0.joined(separator: ", ")))" } ?? ""))
        }
        if let tags = value["tags"], case .object(let map) = tags, !map.isEmpty { words.append("tags \(tags)") }
        return words.joined(separator: " ")
    }

    static func actionSymbol(_ action: Action) -> String {
        switch action {
        case .create: return "+"
        case .update: return "~"
        case .replace: return "-/+"
        case .delete: return "-"
        }
    }
}
