import Foundation
import Model

/// The part of Spark SQL's boolean expressions a CHECK constraint is checked with
/// against existing rows: comparisons, IS [NOT] NULL, [NOT] IN, [NOT] BETWEEN, AND,
/// OR, NOT and parentheses over columns and literals. Anything else (a function, a
/// cast, arithmetic) is `Unsupported`, so the change is refused as unverifiable
/// rather than checked wrongly. A row satisfies a constraint only when the
/// expression is TRUE: NULL fails, as Delta enforces it.
indirect enum CheckExpression: Equatable {
    enum Comparison: String { case equal = "=", notEqual = "<>", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">=" }

    case column(String)
    case literal(Value)
    case compare(Comparison, CheckExpression, CheckExpression)
    case isNull(CheckExpression, negated: Bool)
    case inList(CheckExpression, [CheckExpression], negated: Bool)
    case between(CheckExpression, CheckExpression, CheckExpression, negated: Bool)
    case and(CheckExpression, CheckExpression)
    case or(CheckExpression, CheckExpression)
    case not(CheckExpression)

    struct Unsupported: Error { let reason: String }

    /// The columns the expression reads (lowercased).
    var columns: Set<String> {
        switch self {
        case .column(let name): return [name.lowercased()]
        case .literal: return []
        case .compare(_, let a, let b), .and(let a, let b), .or(let a, let b): return a.columns.union(b.columns)
        case .isNull(let a, _), .not(let a): return a.columns
        case .inList(let a, let list, _): return list.reduce(a.columns) { $0.union($1.columns) }
        case .between(let a, let low, let high, _): return a.columns.union(low.columns).union(high.columns)
        }
    }

    // MARK: Evaluation

    /// The expression's value for one row (column names lowercased): true, false or nil (NULL).
    func holds(_ row: [String: Value]) -> Bool? {
        switch self {
        case .and(let a, let b):
            let (x, y) = (a.holds(row), b.holds(row))
            if x == false || y == false { return false }
            return x == true && y == true ? true : nil
        case .or(let a, let b):
            let (x, y) = (a.holds(row), b.holds(row))
            if x == true || y == true { return true }
            return x == false && y == false ? false : nil
        case .not(let a): return a.holds(row).map { !$0 }
        case .isNull(let a, let negated): return (a.value(row) == .null) != negated
        case .compare(let op, let a, let b): return Self.compare(op, a.value(row), b.value(row))
        case .inList(let a, let list, let negated):
            let value = a.value(row)
            var sawNull = false
            for item in list {
                switch Self.compare(.equal, value, item.value(row)) {
                case true?: return !negated
                case nil: sawNull = true
                case false?: continue
                }
            }
            return sawNull ? nil : negated
        case .between(let a, let low, let high, let negated):
            let inside = CheckExpression.and(.compare(.greaterOrEqual, a, low), .compare(.lessOrEqual, a, high)).holds(row)
            return negated ? inside.map { !$0 } : inside
        case .column(let name):
            if case .bool(let flag)? = row[name.lowercased()] { return flag }
            return nil
        case .literal(let value):
            if case .bool(let flag) = value { return flag }
            return nil
        }
    }

    func value(_ row: [String: Value]) -> Value {
        switch self {
        case .column(let name): return row[name.lowercased()] ?? .null
        case .literal(let value): return value
        default: return holds(row).map(Value.bool) ?? .null
        }
    }

    /// SQL comparison: NULL with anything is NULL; numbers numerically, text by its
    /// characters, a number against text by the text's number (NULL when it is none).
    static func compare(_ op: Comparison, _ a: Value, _ b: Value) -> Bool? {
        let order: ComparisonResult
        switch (a, b) {
        case (.null, _), (_, .null): return nil
        case (.string(let x), .string(let y)): order = x < y ? .orderedAscending : x == y ? .orderedSame : .orderedDescending
        case (.bool(let x), .bool(let y)): order = x == y ? .orderedSame : (!x && y) ? .orderedAscending : .orderedDescending
        default:
            guard let x = number(a), let y = number(b) else { return nil }
            order = x < y ? .orderedAscending : x == y ? .orderedSame : .orderedDescending
        }
        switch op {
        case .equal: return order == .orderedSame
        case .notEqual: return order != .orderedSame
        case .less: return order == .orderedAscending
        case .lessOrEqual: return order != .orderedDescending
        case .greater: return order == .orderedDescending
        case .greaterOrEqual: return order != .orderedAscending
        }
    }

    static func number(_ value: Value) -> Double? {
        switch value {
        case .int(let number): return Double(number)
        case .double(let number): return number
        case .string(let text): return Double(text.trimmingCharacters(in: .whitespaces))
        default: return nil
        }
    }
}
