/// Why a change can lose data, access or history. Decisions run on these values;
/// their words are `Rendering`'s (`PlanText`).
public enum DestructiveReason: Sendable, Hashable {
    /// A table's partition columns change: every file is rewritten.
    case partitioningChanges(from: [String], to: [String])
    /// A table's storage location changes (nil: managed).
    case locationChanges(from: String?, to: String?)
    /// A NOT NULL column is added to a table that has rows.
    case requiredColumnAdded(column: String)
    /// A column is renamed, which Delta cannot do in place without column mapping.
    case columnRenamed(from: String, to: String)
    /// A column's type changes in a way that is not a widening.
    case typeChanges(column: String, from: DataType, to: DataType)
    /// A nullable column becomes NOT NULL.
    case becomesRequired(column: String)
    /// A column is dropped with its data.
    case columnDropped(column: String)
    /// A pipeline moves to another catalog or schema: replaced, losing its history.
    case pipelineMoves(ResourceID, from: String, to: String)
    /// A privilege is revoked from a principal.
    case revokes(privilege: String, securable: String, principal: String)
    /// A model version is deleted.
    case modelVersionDeleted(Int)
    /// A model version's source or run changes: deleted and registered again.
    case modelVersionReplaced(Int)
    /// The resource is deleted, and with it what `loss` says.
    case deletes(ResourceID, DeletionLoss)
    /// A column mask or a row filter is removed: what it hid becomes readable.
    case opensData(what: String)
}

/// What deleting a resource takes with it.
public enum DeletionLoss: Sendable, Hashable {
    case table(hasData: Bool)
    case namespace
    case runHistory
    /// Grants: each principal's privileges, by principal.
    case privileges([String: [String]])
    case flagEvaluations
    case modelVersions(Int)
    /// A function: masks and row filters calling it stop working.
    case callers
}

/// Why policy refuses a change.
public enum Refusal: Sendable, Hashable {
    /// The resource is protected; `declared`: by its manifest now, else by the
    /// annotation it was last applied with.
    case protected(declared: Bool)
    /// No manifest of this kind was found, so the change would delete every one the
    /// environment created.
    case deletesEveryOfKind(ResourceKind)
    /// The environment's policy is `destructive: deny` and no override was given.
    case destructiveDenied
    /// The table's rows do not satisfy what the change requires (or it was never checked).
    case dataViolates(CheckedData)
    /// What the change requires of the rows could not be decided, and
    /// `--allow-unverified` was not given.
    case dataUnverified(CheckedData)
    /// Adopting a resource this environment did not create would replace it.
    case adoptionReplaces
    /// The environment adopts nothing (a preview) and the resource exists already.
    case adoptionDenied
}

/// Something a plan reports about a resource without changing it.
public struct Notice: Sendable, Hashable {
    public enum Subject: Sendable, Hashable {
        /// A rollback keeps a column the older revision lacks.
        case columnKept(String)
        /// A rollback keeps a model version the older revision lacks.
        case modelVersionKept(String)
        /// A rollback leaves the resource as it is rather than make a destructive change.
        case changeKept(Action, [DestructiveReason])
        /// A principal holds privileges granted outside a non-exclusive manifest.
        case foreignGrant(principal: String, privileges: [String], securable: String)
        /// The change turns on a Delta table feature that raises the table's reader
        /// version: older readers can no longer read it.
        case tableFeatureEnabled(TableFeature)
    }

    /// Delta table features a table's evolution turns on.
    public enum TableFeature: String, Sendable, Hashable {
        /// Renames and drops keep the data (name mode): reader 2, writer 5.
        case columnMapping
        /// Column types widen without rewriting data: reader 3, writer 7.
        case typeWidening
    }

    public var id: ResourceID
    public var subject: Subject

    public init(_ id: ResourceID, _ subject: Subject) {
        self.id = id
        self.subject = subject
    }
}
