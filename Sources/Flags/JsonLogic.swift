import Foundation
import Model

/// JsonLogic (jsonlogic.com) over `Value`s, with flagd's operators added by the
/// caller. A malformed rule yields null, never a crash; a rule or context past
/// the bounds below is a `Limit` error.
public struct JsonLogic: Sendable {
    /// A custom operator: evaluated arguments and the data in, a value out.
    public typealias Operator = @Sendable (_ arguments: [Value], _ data: Value) -> Value

    /// Why an evaluation stopped: every evaluation is bounded in rule depth, in
    /// operations and in the depth of the values it builds, whoever wrote the rule
    /// (a flag file on disk is not read through the manifest's YAML limits) and
    /// whatever a request's context holds.
    public struct Limit: Error, Sendable, Equatable {
        public let message: String
    }

    /// Rules nest at most this deep: the manifest's YAML allows 100 levels in all,
    /// so a rule `validate` accepts is always within it.
    public static let maxDepth = 100
    /// Operations one evaluation may take (a rule over a context's arrays is linear in
    /// them; nested iterations over a large context are not).
    public static let maxSteps = 1_000_000
    /// How deep a value `reduce` may build (each item could nest the accumulator once more).
    public static let maxValueDepth = 600

    public var operators: [String: Operator]

    public init(operators: [String: Operator] = [:]) {
        self.operators = operators
    }

    /// The rule's value for `data`, or the limit it ran into.
    public func evaluate(_ rule: Value, _ data: Value) throws(Limit) -> Value {
        let run = Run()
        return try apply(rule, data, run, depth: 0)
    }

    /// One evaluation's count of operations.
    final class Run {
        var steps = 0
    }

    private func apply(_ rule: Value, _ data: Value, _ run: Run, depth: Int) throws(Limit) -> Value {
        run.steps += 1
        guard run.steps <= Self.maxSteps else {
            throw Limit(message: "the rule took more than \(Self.maxSteps) operations for this context")
        }
        guard depth <= Self.maxDepth else { throw Limit(message: "the rule nests more than \(Self.maxDepth) levels deep") }
        switch rule {
        case .array(let items):
            var values: [Value] = []
            values.reserveCapacity(items.count)
            for item in items { values.append(try apply(item, data, run, depth: depth + 1)) }
            return .array(values)
        case .object(let fields):
            guard fields.count == 1, let (name, raw) = fields.first else { return rule }
            let arguments: [Value]
            if case .array(let items) = raw { arguments = items } else { arguments = [raw] }
            return try evaluate(name, arguments, data, run, depth: depth + 1)
        default: return rule
        }
    }

    // MARK: Operators

    private func evaluate(_ name: String, _ arguments: [Value], _ data: Value, _ run: Run, depth: Int) throws(Limit) -> Value {
        if let result = try lazily(name, arguments, data, run, depth: depth) { return result }
        var values: [Value] = []
        values.reserveCapacity(arguments.count)
        for argument in arguments { values.append(try apply(argument, data, run, depth: depth)) }
        if let result = Self.arithmetic(name, values) { return result }
        return eagerly(name, values, data)
    }

    /// The operators that decide what to evaluate; nil for the others.
    private func lazily(_ name: String, _ arguments: [Value], _ data: Value, _ run: Run, depth: Int) throws(Limit) -> Value? {
        switch name {
        case "if", "?:":
            var index = 0
            while index + 1 < arguments.count {
                if Self.truthy(try apply(arguments[index], data, run, depth: depth)) { return try apply(arguments[index + 1], data, run, depth: depth) }
                index += 2
            }
            return index < arguments.count ? try apply(arguments[index], data, run, depth: depth) : .null
        case "and", "or":
            var last: Value = .null
            for argument in arguments {
                last = try apply(argument, data, run, depth: depth)
                if Self.truthy(last) == (name == "or") { return last }
            }
            return last
        case "map", "filter", "all", "some", "none", "reduce":
            return try iterate(name, arguments, data, run, depth: depth)
        default:
            return nil
        }
    }

    /// Numbers in, a number out (or null); nil for operators that are not arithmetic.
    private static func arithmetic(_ name: String, _ values: [Value]) -> Value? {
        switch name {
        case "+": return numberValue(values.reduce(0.0) { $0 + (number($1) ?? .nan) })
        case "*": return numberValue(values.reduce(1.0) { $0 * (number($1) ?? .nan) })
        case "-":
            guard let first = values.first.flatMap(number) else { return .null }
            if values.count == 1 { return numberValue(-first) }
            return numberValue(first - (number(values[1]) ?? .nan))
        case "/", "%":
            guard values.count == 2, let a = number(values[0]), let b = number(values[1]), b != 0 else { return .null }
            return numberValue(name == "/" ? a / b : a.truncatingRemainder(dividingBy: b))
        case "min", "max":
            let numbers = values.compactMap(number)
            guard numbers.count == values.count, !numbers.isEmpty else { return .null }
            return numberValue(name == "min" ? numbers.min()! : numbers.max()!)
        default:
            return nil
        }
    }

    /// The operators whose arguments are evaluated first.
    private func eagerly(_ name: String, _ values: [Value], _ data: Value) -> Value {
        switch name {
        case "var": return variable(values, data)
        case "missing": return missing(values, data)
        case "missing_some":
            guard values.count == 2, let need = Self.number(values[0]), case .array(let keys) = values[1] else { return .null }
            guard case .array(let absent) = missing(keys, data) else { return .null }
            return Double(keys.count - absent.count) >= need ? .array([]) : .array(absent)
        case "==": return .bool(values.count >= 2 && Self.looseEquals(values[0], values[1]))
        case "!=": return .bool(!(values.count >= 2 && Self.looseEquals(values[0], values[1])))
        case "===": return .bool(values.count >= 2 && Self.strictEquals(values[0], values[1]))
        case "!==": return .bool(!(values.count >= 2 && Self.strictEquals(values[0], values[1])))
        case "!": return .bool(!Self.truthy(values.first ?? .null))
        case "!!": return .bool(Self.truthy(values.first ?? .null))
        case "<", "<=", ">", ">=": return compare(name, values)
        case "cat": return .string(values.map(Self.text).joined())
        case "substr": return Self.substring(values)
        case "in":
            guard values.count >= 2 else { return .bool(false) }
            switch values[1] {
            case .string(let haystack): return .bool(haystack.contains(Self.text(values[0])))
            case .array(let items): return .bool(items.contains { Self.strictEquals($0, values[0]) })
            default: return .bool(false)
            }
        case "merge":
            return .array(values.flatMap { value -> [Value] in if case .array(let items) = value { return items }; return [value] })
        default:
            if let custom = operators[name] { return custom(values, data) }
            return .null
        }
    }

    /// A position or length from any number: NaN is 0, the rest clamped to what a
    /// string can hold (a request's context may carry 1e300).
    static func index(_ number: Double) -> Int {
        guard !number.isNaN else { return 0 }
        return Int(max(-1e12, min(1e12, number.rounded(.towardZero))))
    }

    /// `substr`: a start (negative: from the end) and an optional length (negative: up to that many from the end).
    private static func substring(_ values: [Value]) -> Value {
        guard let string = values.first.map(text), values.count >= 2, let start = number(values[1]) else { return .null }
        let characters = Array(string)
        var from = Self.index(start)
        if from < 0 { from = max(0, characters.count + from) }
        from = min(from, characters.count)
        var to = characters.count
        if values.count >= 3, let length = number(values[2]) {
            to = length < 0 ? max(from, characters.count + Self.index(length)) : min(characters.count, from + Self.index(length))
        }
        return .string(String(characters[from..<max(from, to)]))
    }

    private func variable(_ values: [Value], _ data: Value) -> Value {
        let path = values.first ?? .string("")
        let fallback = values.count > 1 ? values[1] : .null
        let key: String
        switch path {
        case .string(let text): key = text
        case .int(let number): key = String(number)
        case .null: return data
        default: return fallback
        }
        if key.isEmpty { return data }
        var current = data
        for part in key.split(separator: ".", omittingEmptySubsequences: false) {
            switch current {
            case .object(let fields):
                guard let next = fields[String(part)] else { return fallback }
                current = next
            case .array(let items):
                guard let index = Int(part), items.indices.contains(index) else { return fallback }
                current = items[index]
            default:
                return fallback
            }
        }
        return current == .null ? fallback : current
    }

    private func missing(_ keys: [Value], _ data: Value) -> Value {
        var list = keys
        if keys.count == 1, case .array(let inner) = keys[0] { list = inner }
        return .array(list.filter { key in
            let found = variable([key], data)
            return found == .null || found == .string("")
        })
    }

    private func compare(_ name: String, _ values: [Value]) -> Value {
        func holds(_ a: Value, _ b: Value) -> Bool {
            if case .string(let x) = a, case .string(let y) = b {
                switch name {
                case "<": return x < y
                case "<=": return x <= y
                case ">": return x > y
                default: return x >= y
                }
            }
            guard let x = Self.number(a), let y = Self.number(b) else { return false }
            switch name {
            case "<": return x < y
            case "<=": return x <= y
            case ">": return x > y
            default: return x >= y
            }
        }
        guard values.count >= 2 else { return .bool(false) }
        if values.count >= 3, name == "<" || name == "<=" {
            return .bool(holds(values[0], values[1]) && holds(values[1], values[2]))
        }
        return .bool(holds(values[0], values[1]))
    }

    private func iterate(_ name: String, _ arguments: [Value], _ data: Value, _ run: Run, depth: Int) throws(Limit) -> Value {
        guard arguments.count >= 2, case .array(let items) = try apply(arguments[0], data, run, depth: depth) else {
            return name == "all" ? .bool(false) : name == "none" ? .bool(true) : name == "some" ? .bool(false) : .array([])
        }
        let body = arguments[1]
        switch name {
        case "map":
            var values: [Value] = []
            values.reserveCapacity(items.count)
            for item in items { values.append(try apply(body, item, run, depth: depth)) }
            return .array(values)
        case "filter":
            var kept: [Value] = []
            for item in items where Self.truthy(try apply(body, item, run, depth: depth)) { kept.append(item) }
            return .array(kept)
        case "all", "some", "none":
            // all: no item fails (and there is one); some: an item holds; none: no item holds.
            let seeking = name != "all"
            for item in items where Self.truthy(try apply(body, item, run, depth: depth)) == seeking {
                return .bool(name == "some")
            }
            return .bool(name == "all" ? !items.isEmpty : name == "none")
        default:
            var accumulator = arguments.count > 2 ? try apply(arguments[2], data, run, depth: depth) : .null
            for item in items {
                accumulator = try apply(body, .object(["current": item, "accumulator": accumulator]), run, depth: depth)
                // The body may wrap the accumulator once more per item: a context's long
                // array would build a value too deep to compare, encode or even free.
                if Self.nests(accumulator, deeperThan: Self.maxValueDepth) {
                    throw Limit(message: "reduce built a value nested more than \(Self.maxValueDepth) levels deep")
                }
            }
            return accumulator
        }
    }

    /// Whether `value` nests more than `limit` levels (it looks no deeper than that).
    static func nests(_ value: Value, deeperThan limit: Int) -> Bool {
        guard limit >= 0 else { return true }
        switch value {
        case .array(let items): return items.contains { nests($0, deeperThan: limit - 1) }
        case .object(let fields): return fields.values.contains { nests($0, deeperThan: limit - 1) }
        default: return false
        }
    }

    // MARK: JavaScript-like coercions

    public static func truthy(_ value: Value) -> Bool {
        switch value {
        case .null: return false
        case .bool(let flag): return flag
        case .int(let number): return number != 0
        case .double(let number): return number != 0 && !number.isNaN
        case .string(let text): return !text.isEmpty
        case .array(let items): return !items.isEmpty
        case .object: return true
        }
    }

    static func number(_ value: Value) -> Double? {
        switch value {
        case .int(let number): return Double(number)
        case .double(let number): return number
        case .bool(let flag): return flag ? 1 : 0
        case .string(let text): return Double(text.trimmingCharacters(in: .whitespaces))
        case .null: return 0
        default: return nil
        }
    }

    static func numberValue(_ number: Double) -> Value {
        guard number.isFinite else { return .null }
        if number.rounded() == number, abs(number) < 9e15 { return .int(Int(number)) }
        return .double(number)
    }

    static func text(_ value: Value) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case .double(let number): return number.rounded() == number && abs(number) < 9e15 ? String(Int(number)) : String(number)
        case .string(let text): return text
        case .array(let items): return items.map(text).joined(separator: ",")
        case .object: return "[object Object]"
        }
    }

    static func strictEquals(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.int, .double), (.double, .int), (.int, .int), (.double, .double): return number(a) == number(b)
        default: return a == b
        }
    }

    static func looseEquals(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.null, _), (_, .null): return false
        case (.string(let x), .string(let y)): return x == y
        case (.array, _), (.object, _), (_, .array), (_, .object): return a == b
        default:
            guard let x = number(a), let y = number(b) else { return false }
            return x == y
        }
    }
}
