import Foundation
import Model

/// The result of evaluating one flag for one context, in OFREP's terms.
public struct FlagEvaluation: Sendable, Hashable {
    public var key: String
    /// Nil when the caller's default applies (a disabled flag, no default variant).
    public var value: Value?
    public var variant: String?
    /// STATIC, TARGETING_MATCH, DEFAULT, DISABLED or ERROR.
    public var reason: String
    /// FLAG_NOT_FOUND, PARSE_ERROR, GENERAL, …; nil on success.
    public var errorCode: String?
    public var errorDetails: String?
    public var metadata: [String: Value]
}

/// Evaluates flags the way flagd does: state, default variant, targeting in
/// JsonLogic with flagd's `fractional`, `starts_with`, `ends_with` and `sem_ver`.
public struct FlagEvaluator: Sendable {
    public let flags: [String: FlagSpec]
    /// Flag-set metadata (the file's top-level `metadata`), merged under each flag's.
    public let setMetadata: [String: Value]
    let logic: JsonLogic

    public init(flags: [String: FlagSpec], setMetadata: [String: Value] = [:]) {
        self.flags = flags
        self.setMetadata = setMetadata
        logic = JsonLogic(operators: [
            "fractional": Self.fractional,
            "starts_with": { arguments, _ in Self.stringTest(arguments) { $0.hasPrefix($1) } },
            "ends_with": { arguments, _ in Self.stringTest(arguments) { $0.hasSuffix($1) } },
            "sem_ver": Self.semanticVersion,
        ])
    }

    /// A flagd flag file's document.
    public init(document: [String: Value]) {
        var flags: [String: FlagSpec] = [:]
        if case .object(let entries)? = document["flags"] {
            for (key, entry) in entries {
                guard case .object(let fields) = entry else { continue }
                var variants: [String: Value] = [:]
                if case .object(let found)? = fields["variants"] { variants = found }
                var metadata: [String: Value] = [:]
                if case .object(let found)? = fields["metadata"] { metadata = found }
                flags[key] = FlagSpec(state: fields["state"]?.stringValue.flatMap(FlagSpec.State.init(rawValue:)) ?? .enabled,
                                      variants: variants, defaultVariant: fields["defaultVariant"]?.stringValue ?? "",
                                      targeting: fields["targeting"], metadata: metadata)
            }
        }
        var setMetadata: [String: Value] = [:]
        if case .object(let found)? = document["metadata"] { setMetadata = found }
        self.init(flags: flags, setMetadata: setMetadata)
    }

    public func evaluate(_ key: String, context: [String: Value], now: Date = Date()) -> FlagEvaluation {
        guard let flag = flags[key] else {
            return FlagEvaluation(key: key, value: nil, variant: nil, reason: "ERROR", errorCode: "FLAG_NOT_FOUND",
                                  errorDetails: "flag \(key) was not found", metadata: [:])
        }
        let metadata = setMetadata.merging(flag.metadata) { $1 }
        func result(_ variant: String?, _ reason: String) -> FlagEvaluation {
            guard let variant, !variant.isEmpty else {
                return FlagEvaluation(key: key, value: nil, variant: nil, reason: reason == "STATIC" ? "DEFAULT" : reason, metadata: metadata)
            }
            guard let value = flag.variants[variant] else {
                return FlagEvaluation(key: key, value: nil, variant: nil, reason: "ERROR", errorCode: "GENERAL",
                                      errorDetails: "resolved variant \(variant) is not among the variants of \(key)", metadata: metadata)
            }
            return FlagEvaluation(key: key, value: value, variant: variant, reason: reason, metadata: metadata)
        }
        if flag.state == .disabled {
            return FlagEvaluation(key: key, value: nil, variant: nil, reason: "DISABLED", metadata: metadata)
        }
        guard let targeting = flag.targeting, targeting != .object([:]), targeting != .null else {
            return result(flag.defaultVariant, "STATIC")
        }
        var data = context
        data["$flagd"] = .object(["flagKey": .string(key), "timestamp": .int(Int(now.timeIntervalSince1970))])
        data["targetingKey"] = context["targetingKey"] ?? .null
        let outcome: Value
        do {
            outcome = try logic.evaluate(targeting, .object(data))
        } catch {
            return FlagEvaluation(key: key, value: nil, variant: nil, reason: "ERROR", errorCode: "GENERAL",
                                  errorDetails: "targeting of \(key) could not be evaluated: \(error.message)", metadata: metadata)
        }
        switch outcome {
        case .null: return result(flag.defaultVariant, "DEFAULT")
        case .string(let variant): return result(variant, "TARGETING_MATCH")
        case .bool(let flag): return result(flag ? "true" : "false", "TARGETING_MATCH")
        case .int, .double: return result(JsonLogic.text(outcome), "TARGETING_MATCH")
        default:
            return FlagEvaluation(key: key, value: nil, variant: nil, reason: "ERROR", errorCode: "PARSE_ERROR",
                                  errorDetails: "targeting of \(key) returned \(outcome.typeName), not a variant name", metadata: metadata)
        }
    }

    // MARK: flagd's operators

    /// `fractional`: [bucket-by?, [variant, weight], …]. Without a bucket-by value the
    /// key is [flag key, targeting key]; the value's canonical CBOR is hashed with
    /// murmur3 and scaled onto the total weight, as flagd does.
    static let fractional: JsonLogic.Operator = { arguments, data in
        guard !arguments.isEmpty else { return .null }
        var buckets = arguments
        let bucketBy: Value
        if case .array = arguments[0] {
            guard case .string(let targetingKey)? = data["targetingKey"], !targetingKey.isEmpty else { return .null }
            bucketBy = .array([data["$flagd"]?["flagKey"] ?? .string(""), .string(targetingKey)])
        } else {
            bucketBy = arguments[0]
            buckets.removeFirst()
        }
        var fractions: [(variant: Value, weight: Int)] = []
        for bucket in buckets {
            guard case .array(let pair) = bucket, !pair.isEmpty, pair.count <= 2 else { return .null }
            var weight = 1
            if pair.count == 2 {
                guard case .int(let given) = pair[1], (0...Int(Int32.max)).contains(given) else { return .null }
                weight = given
            }
            fractions.append((pair[0], weight))
        }
        // Each weight is at most Int32.max, so the sum of any realistic count of them
        // cannot overflow an Int; it must still fit flagd's 32-bit bucketing.
        let total = fractions.reduce(0) { $0 + $1.weight }
        guard total > 0, total <= Int(Int32.max) else { return .null }
        let hash = UInt64(Murmur3.hash32(CBOR.encode(bucketBy)))
        let bucket = (hash * UInt64(total)) >> 32
        var end: UInt64 = 0
        for fraction in fractions {
            end += UInt64(fraction.weight)
            if bucket < end { return fraction.variant }
        }
        return .null
    }

    static func stringTest(_ arguments: [Value], _ test: (String, String) -> Bool) -> Value {
        guard arguments.count == 2, case .string(let a) = arguments[0], case .string(let b) = arguments[1] else { return .null }
        return .bool(test(a, b))
    }

    /// `sem_ver`: [version, operator, version] with =, !=, <, <=, >, >=, ^ (same
    /// major), ~ (same major and minor).
    static let semanticVersion: JsonLogic.Operator = { arguments, _ in
        guard arguments.count == 3, case .string(let op) = arguments[1],
              let left = SemanticVersion(JsonLogic.text(arguments[0])), let right = SemanticVersion(JsonLogic.text(arguments[2])) else { return .null }
        switch op {
        case "=": return .bool(left == right)
        case "!=": return .bool(left != right)
        case "<": return .bool(left < right)
        case "<=": return .bool(left <= right)
        case ">": return .bool(left > right)
        case ">=": return .bool(left >= right)
        case "^": return .bool(left.major == right.major)
        case "~": return .bool(left.major == right.major && left.minor == right.minor)
        default: return .null
        }
    }
}

/// major.minor.patch[-prerelease], compared as SemVer 2.0 says (build metadata ignored).
struct SemanticVersion: Comparable {
    var major: Int, minor: Int, patch: Int
    var prerelease: [String]

    init?(_ text: String) {
        var body = Substring(text.hasPrefix("v") || text.hasPrefix("V") ? String(text.dropFirst()) : text)
        if let plus = body.firstIndex(of: "+") { body = body[..<plus] }
        var pre: [String] = []
        if let dash = body.firstIndex(of: "-") {
            pre = body[body.index(after: dash)...].split(separator: ".").map(String.init)
            body = body[..<dash]
        }
        let parts = body.split(separator: ".").map { Int($0) }
        guard !parts.isEmpty, parts.count <= 3, parts.allSatisfy({ $0 != nil }) else { return nil }
        major = parts[0]!
        minor = parts.count > 1 ? parts[1]! : 0
        patch = parts.count > 2 ? parts[2]! : 0
        prerelease = pre
    }

    static func < (a: SemanticVersion, b: SemanticVersion) -> Bool {
        if (a.major, a.minor, a.patch) != (b.major, b.minor, b.patch) { return (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch) }
        if a.prerelease.isEmpty != b.prerelease.isEmpty { return !a.prerelease.isEmpty }
        for (x, y) in zip(a.prerelease, b.prerelease) where x != y {
            switch (Int(x), Int(y)) {
            case let (i?, j?): return i < j
            case (_?, nil): return true
            case (nil, _?): return false
            default: return x < y
            }
        }
        return a.prerelease.count < b.prerelease.count
    }
}
