/// A plan's identity: what it would change, and nothing about how it was displayed
/// or how many requests planning took. Two plans with the same changes have the same
/// digest whatever renders them.
extension Plan {
    /// Environment, revision, then each change in order: action, resource, refusal
    /// state and every field (op, path, before, after), values in a canonical form
    /// (object keys sorted, strings length-prefixed so no text can forge a boundary).
    public var canonicalEncoding: [UInt8] {
        var out: [UInt8] = []
        func text(_ string: String) {
            let bytes = Array(string.utf8)
            out += Array(String(bytes.count).utf8) + [UInt8(ascii: ":")] + bytes
        }
        func value(_ item: Value?) {
            switch item {
            case nil: out.append(UInt8(ascii: "-"))
            case .null?: out.append(UInt8(ascii: "n"))
            case .bool(let flag)?: out.append(UInt8(ascii: flag ? "t" : "f"))
            case .int(let number)?: out.append(UInt8(ascii: "i")); text(String(number))
            case .double(let number)?: out.append(UInt8(ascii: "d")); text(String(number))
            case .string(let string)?: out.append(UInt8(ascii: "s")); text(string)
            case .array(let items)?:
                out.append(UInt8(ascii: "[")); text(String(items.count))
                for element in items { value(element) }
            case .object(let fields)?:
                out.append(UInt8(ascii: "{")); text(String(fields.count))
                for key in fields.keys.sorted() { text(key); value(fields[key]) }
            }
        }
        text("reconcile-plan/1")
        text(environment)
        text(revision)
        text(String(changes.count))
        for change in changes {
            text(change.action.rawValue)
            text(change.id.description)
            text(change.refusal == nil ? "allowed" : "refused")
            text(String(change.fields.count))
            for field in change.fields {
                text(field.op.rawValue)
                text(field.path)
                value(field.before)
                value(field.after)
            }
        }
        return out
    }
}
