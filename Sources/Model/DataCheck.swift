/// A fact about a table's existing rows that an in-place change depends on:
/// making a column NOT NULL, adding a CHECK constraint.
public enum DataCheck: Sendable, Hashable {
    case notNull(column: String)
    case constraint(name: String, expression: String)
}

/// What checking a table's rows found, and how: from file statistics where they
/// are conclusive, else by reading the data files.
public struct DataEvidence: Sendable, Hashable {
    public enum Verdict: Sendable, Hashable {
        /// Every row satisfies it.
        case holds
        /// Some rows do not (`failingRows` in `failingFiles` files).
        case violated
        /// It could not be decided; the reason says why.
        case unverifiable(String)
        /// The target checks the rows itself, atomically with the change
        /// (Databricks' ALTER TABLE verifies existing rows).
        case checkedByTarget
    }

    public var verdict: Verdict
    public var failingRows: Int
    public var failingFiles: Int
    /// Data files looked at, and how many of them their statistics decided.
    public var files: Int
    public var fromStatistics: Int

    public init(_ verdict: Verdict, failingRows: Int = 0, failingFiles: Int = 0, files: Int = 0, fromStatistics: Int = 0) {
        self.verdict = verdict
        self.failingRows = failingRows
        self.failingFiles = failingFiles
        self.files = files
        self.fromStatistics = fromStatistics
    }
}

/// A check a change needs, and (once the target was asked) its evidence.
public struct CheckedData: Sendable, Hashable {
    public var check: DataCheck
    public var evidence: DataEvidence?

    public init(_ check: DataCheck, evidence: DataEvidence? = nil) {
        self.check = check
        self.evidence = evidence
    }

    /// Whether the change may go ahead on this evidence: it holds, or the target
    /// checks it itself, or it is unverifiable and the user allowed that.
    public func permits(allowingUnverified: Bool) -> Bool {
        switch evidence?.verdict {
        case .holds?, .checkedByTarget?: return true
        case .unverifiable?: return allowingUnverified
        case .violated?, nil: return false
        }
    }
}
