/// A state store's rows read back. A value that does not read is an error naming the
/// store and the row, never a row skipped or a default guessed: an inventory row
/// skipped leaves a resource unowned (and unprotected), a journal row skipped leaves an
/// interrupted change unsettled, a history outcome guessed misstates what was applied.
public enum StoredRows {
    /// `parse(text)`, or an error saying what could not be read where.
    public static func value<T>(_ text: String?, _ parse: (String) -> T?, _ what: @autoclosure () -> String, store: String) throws(TargetError) -> T {
        guard let text, let value = parse(text) else { throw unreadable(what(), text.map { "\"\(String($0.prefix(200)))\"" } ?? "empty", store: store) }
        return value
    }

    /// A stored flag: 0 or 1, nothing else.
    public static func flag(_ number: Int64?, _ what: @autoclosure () -> String, store: String) throws(TargetError) -> Bool {
        switch number {
        case 0: return false
        case 1: return true
        default: throw unreadable(what(), number.map(String.init) ?? "empty", store: store)
        }
    }

    static func unreadable(_ what: String, _ shown: String, store: String) -> TargetError {
        TargetError(nil, "state store \(store): \(what) is \(shown), which this version cannot read; the store was written by a newer reconcile or damaged, and reconcile does not guess what a row meant: use the version that wrote it, or restore the store from a backup")
    }
}
