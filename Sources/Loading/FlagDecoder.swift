import Model
import YAMLSource

/// Decodes a `FeatureFlag` spec in flagd's model and checks it the way flagd
/// would fail at evaluation time: variants of one type, a default that exists,
/// and targeting that names only existing variants.
struct FlagDecoder {
    let reader: MappingReader

    func decode() -> FlagSpec? {
        var state = FlagSpec.State.enabled
        if let node = reader.field("state"), let text = reader.stringValue(node, "spec.state") {
            if let parsed = FlagSpec.State(rawValue: text.uppercased()) {
                state = parsed
            } else {
                reader.error(node, "spec.state must be ENABLED or DISABLED, not \"\(text)\"")
            }
        }
        var variants: [String: Value] = [:]
        let variantsNode = reader.field("variants", required: true)
        if let variantsNode {
            if let pairs = variantsNode.pairs, !pairs.isEmpty {
                var firstType: (String, Node)?
                for pair in pairs {
                    guard let name = pair.key.scalarText else { continue }
                    let value = reader.jsonValue(pair.value)
                    if value == .null {
                        reader.error(pair.value, "variant \"\(name)\" has no value")
                        continue
                    }
                    if let (type, node) = firstType, type != value.typeName {
                        reader.error(pair.value, "variant \"\(name)\" is a \(value.typeName), but variant \"\(node.scalarText ?? "")\" is a \(type); every variant of a flag has one type")
                        continue
                    }
                    if firstType == nil { firstType = (value.typeName, pair.key) }
                    variants[name] = value
                }
            } else {
                reader.error(variantsNode, "spec.variants must be a non-empty mapping of variant names to values")
            }
        }
        var defaultVariant: String?
        if let node = reader.field("defaultVariant", required: true), let name = reader.stringValue(node, "spec.defaultVariant") {
            if variantsNode?.pairs != nil, variants[name] == nil {
                reader.error(node, "spec.defaultVariant \"\(name)\" is not a variant\(Suggest.hint(for: name, in: variants.keys)); variants: \(variants.keys.sorted().joined(separator: ", "))")
            }
            defaultVariant = name
        }
        var targeting: Value?
        if let node = reader.field("targeting") {
            let value = reader.jsonValue(node)
            if value != .null && value != .object([:]) {
                targeting = value
                checkTargeting(node, variants: Set(variants.keys))
            }
        }
        var metadata: [String: Value] = [:]
        if let node = reader.field("metadata") {
            if case .object(let fields) = reader.jsonValue(node) {
                metadata = fields
            } else if reader.jsonValue(node) != .null {
                reader.error(node, "spec.metadata must be a mapping")
            }
        }
        reader.finish()
        guard let defaultVariant, !variants.isEmpty else { return nil }
        return FlagSpec(state: state, variants: variants, defaultVariant: defaultVariant, targeting: targeting, metadata: metadata)
    }

    /// The largest weight, and sum of weights, of a `fractional` (flagd buckets in 32 bits).
    static let maxWeight = Int(Int32.max)

    /// Walks the JsonLogic: `fractional` buckets and `if` results must be variants.
    private func checkTargeting(_ node: Node, variants: Set<String>) {
        guard let pairs = node.pairs else {
            if let items = node.items { items.forEach { checkTargeting($0, variants: variants) } }
            return
        }
        if pairs.count == 1, let name = pairs[0].key.scalarText, !TargetingOperators.all.contains(name) {
            let known = TargetingOperators.all.sorted()
            reader.error(pairs[0].key, "unknown targeting operator \"\(name)\"\(Suggest.hint(for: name, in: known)); flagd evaluates JsonLogic's operators and fractional, starts_with, ends_with and sem_ver")
            return
        }
        for pair in pairs {
            switch pair.key.scalarText {
            case "fractional":
                guard let arguments = pair.value.items else {
                    reader.error(pair.value, "fractional takes a list of [variant, weight] buckets")
                    continue
                }
                var buckets = 0
                var total = 0
                for argument in arguments {
                    guard let bucket = argument.items else { continue } // the optional bucketing expression
                    buckets += 1
                    guard let name = bucket.first, case .string(let variant)? = name.scalar else {
                        reader.error(argument, "a fractional bucket is [variant, weight]")
                        continue
                    }
                    if !variants.contains(variant) {
                        reader.error(name, "fractional names the variant \"\(variant)\", which this flag does not have\(Suggest.hint(for: variant, in: variants))")
                    }
                    guard bucket.count > 1 else { total += 1; continue }
                    guard case .int(let weight)? = bucket[1].scalar, (0...Self.maxWeight).contains(weight) else {
                        reader.error(bucket[1], "the weight of fractional bucket \"\(variant)\" must be a whole number from 0 to \(Self.maxWeight), not \(bucket[1].scalarText.map { "\"\($0)\"" } ?? bucket[1].shapeName)")
                        continue
                    }
                    total += weight
                }
                if buckets == 0 {
                    reader.error(pair.value, "fractional needs at least one [variant, weight] bucket")
                } else if total == 0 || total > Self.maxWeight {
                    reader.error(pair.value, "the fractional weights add up to \(total); they must add up to 1 to \(Self.maxWeight) (flagd buckets in 32 bits)")
                }
            case "if":
                guard let arguments = pair.value.items else { continue }
                for (index, argument) in arguments.enumerated() {
                    let isResult = index % 2 == 1 || (index == arguments.count - 1 && arguments.count % 2 == 1)
                    if isResult, case .string(let variant)? = argument.scalar, !variants.contains(variant) {
                        reader.error(argument, "targeting returns \"\(variant)\", which is not a variant of this flag\(Suggest.hint(for: variant, in: variants))")
                    } else {
                        checkTargeting(argument, variants: variants)
                    }
                }
            default:
                checkTargeting(pair.value, variants: variants)
            }
        }
    }
}
