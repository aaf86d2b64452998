import Model

/// A field-by-field diff of two values; objects recurse, anything else is compared whole.
enum ValueDiff {
    static func diff(_ before: Value?, _ after: Value?, at path: [String] = []) -> [FieldChange] {
        switch (before, after) {
        case (nil, nil): return []
        case (nil, let after?): return [FieldChange(op: .add, path: FieldChange.pointer(path), before: nil, after: after)]
        case (let before?, nil): return [FieldChange(op: .remove, path: FieldChange.pointer(path), before: before, after: nil)]
        case (.object(let old)?, .object(let new)?):
            return Set(old.keys).union(new.keys).sorted().flatMap { key in
                diff(old[key], new[key], at: path + [key])
            }
        case (let before?, let after?):
            return before == after ? [] : [FieldChange(op: .change, path: FieldChange.pointer(path), before: before, after: after)]
        }
    }
}
