import Model

/// The words for a plan's decisions (destructive reasons, refusals, notices), shared
/// by every rendering and error. The decisions themselves are values in `Model`.
public enum PlanText {
    /// Why a change can lose data, access or history.
    public static func reason(_ reason: DestructiveReason) -> String {
        switch reason {
        case .partitioningChanges(let from, let to):
            return "partition columns change from \(list(from)) to \(list(to)), which rewrites every file"
        case .locationChanges(let from, let to):
            return "location changes from \(from ?? "managed") to \(to ?? "managed")"
        case .requiredColumnAdded(let column):
            return "new column \"\(column)\" is NOT NULL, but the table has rows with no value for it"
        case .columnRenamed(let from, let to):
            return "column \"\(from)\" is renamed to \"\(to)\", which Delta cannot do in place without column mapping"
        case .typeChanges(let column, let from, let to):
            return "column \"\(column)\" changes type \(from) → \(to), which is not a widening and loses or rewrites data"
        case .becomesRequired(let column):
            return "column \"\(column)\" becomes NOT NULL, which the rows already written cannot be checked for here"
        case .columnDropped(let column):
            return "column \"\(column)\" is dropped, which deletes its data; Delta cannot drop a column in place without column mapping"
        case .pipelineMoves(let id, let from, let to):
            return "replacing \(id) (its target moves from \(from) to \(to)) discards its run history and checkpoints"
        case .revokes(let privilege, let securable, let principal):
            return "revokes \(privilege) on \(securable) from \(principal)"
        case .modelVersionDeleted(let number):
            return "deletes model version \(number)"
        case .modelVersionReplaced(let number):
            return "model version \(number) is immutable, so changing its source or run deletes it and registers it again"
        case .deletes(let id, let loss):
            return "deleting \(id) " + deletion(loss)
        case .opensData(let what):
            return "removing \(what) opens the data it hid to everyone who can read the table"
        }
    }

    static func deletion(_ loss: DeletionLoss) -> String {
        switch loss {
        case .table(let hasData): return hasData ? "drops the table and its data" : "drops the table"
        case .namespace: return "removes the namespace"
        case .runHistory: return "discards its run history and checkpoints"
        case .privileges(let byPrincipal):
            let list = byPrincipal.keys.sorted().map { "\(byPrincipal[$0]!.joined(separator: ", ")) from \($0)" }
            return "revokes " + (list.isEmpty ? "nothing" : list.joined(separator: "; "))
        case .flagEvaluations: return "makes every evaluation of it fall back to the caller's default"
        case .modelVersions(let count): return "deletes the registered model and its \(count) version\(count == 1 ? "" : "s")"
        case .callers: return "breaks every mask, row filter and query that calls it"
        }
    }

    public static func reasons(_ reasons: [DestructiveReason]) -> [String] { reasons.map(reason) }

    /// Why policy refuses `change`.
    public static func refusal(_ refusal: Refusal, of change: Change) -> String {
        switch refusal {
        case .protected(declared: true):
            return "\(change.id) is protected: its manifest says \(Resource.protectAnnotation): \"true\"; remove the annotation and apply before you \(change.action.rawValue) it"
        case .protected(declared: false):
            return "\(change.id) is protected: it was applied with \(Resource.protectAnnotation): \"true\", which deleting the manifest does not lift; restore the manifest, remove the annotation and apply, then delete it"
        case .deletesEveryOfKind(let kind):
            return "no \(kind.rawValue) manifests were found, so this would delete every \(kind.rawValue) this environment created; check the revision and the manifests/ directory, or pass --allow-empty"
        case .destructiveDenied:
            return "the environment's policy is \"destructive: deny\"; pass --allow-destructive to apply it"
        case .dataViolates(let checked) where checked.evidence == nil:
            return "the table's rows were not checked for \(subject(checked.check)); run plan or apply again"
        case .dataViolates(let checked):
            return evidence(checked) + "; fix those rows (or the manifest), then plan again"
        case .dataUnverified(let checked):
            return evidence(checked) + "; pass --allow-unverified to apply it without the check"
        case .adoptionReplaces:
            return "\(change.id) exists but this environment did not create it, and matching the manifest would replace it, dropping what it holds; adoption never replaces: make the manifest match it (reconcile import writes one) or change it yourself first"
        case .adoptionDenied:
            return "\(change.id) exists already and this preview did not create it; a preview adopts nothing, so that destroying it never deletes what another environment owns: remove it from the preview's target, or give the preview another name"
        }
    }

    /// What a data check is about, in words.
    public static func subject(_ check: DataCheck) -> String {
        switch check {
        case .notNull(let column): return "NOT NULL on column \(column)"
        case .constraint(let name, let expression): return "CHECK \(name) (\(expression))"
        }
    }

    /// What checking the rows found: the evidence a plan shows.
    public static func evidence(_ checked: CheckedData) -> String {
        guard let evidence = checked.evidence else { return "\(subject(checked.check)): the rows were not checked" }
        let files = "\(evidence.files) file\(evidence.files == 1 ? "" : "s")"
        let how = evidence.fromStatistics == evidence.files ? "from their statistics"
            : evidence.fromStatistics == 0 ? "by reading them" : "\(evidence.fromStatistics) from statistics, \(evidence.files - evidence.fromStatistics) read"
        let failing = "\(evidence.failingFiles) file\(evidence.failingFiles == 1 ? "" : "s")"
        switch (checked.check, evidence.verdict) {
        case (.notNull(let column), .holds):
            return "column \(column) has no nulls in \(files) (\(how))"
        case (.notNull(let column), .violated):
            return "column \(column) has \(evidence.failingRows) null\(evidence.failingRows == 1 ? "" : "s") in \(failing)"
        case (.constraint, .holds):
            return "every row in \(files) satisfies \(subject(checked.check)) (\(how))"
        case (.constraint, .violated):
            return "\(evidence.failingRows) row\(evidence.failingRows == 1 ? "" : "s") in \(failing) \(evidence.failingRows == 1 ? "does" : "do") not satisfy \(subject(checked.check))"
        case (_, .unverifiable(let reason)):
            return "\(subject(checked.check)) could not be checked: \(reason)"
        case (_, .checkedByTarget):
            return "\(subject(checked.check)): the target checks the existing rows as it applies the change"
        }
    }

    /// The refusal of `change` (if any) after what makes it destructive: one line.
    public static func refusal(of change: Change) -> String {
        guard let refusal = change.refusal else { return "" }
        let why = change.destructiveReasons.isEmpty ? "" : reasons(change.destructiveReasons).joined(separator: "; ") + "; "
        return why + self.refusal(refusal, of: change)
    }

    /// What a notice says.
    public static func notice(_ notice: Notice) -> String {
        switch notice.subject {
        case .columnKept(let column):
            return "column \"\(column)\" stays: dropping it would delete its data; pass --allow-destructive to drop it"
        case .modelVersionKept(let version):
            return "model version \(version) stays: deleting it would lose it; pass --allow-destructive to delete it"
        case .changeKept(let action, let why):
            return "stays as it is (\(action.rawValue) not made): \(reasons(why).joined(separator: "; ")); pass --allow-destructive to make it"
        case .tableFeatureEnabled(.columnMapping):
            return "enables Delta column mapping (name mode) so columns are renamed and dropped in place, keeping the data; this raises the table's reader version to 2 (writer 5), and readers without column mapping can no longer read it"
        case .tableFeatureEnabled(.typeWidening):
            return "enables Delta type widening so column types widen in place, keeping the data; this raises the table's reader version to 3 (writer 7), and readers without the typeWidening feature (delta-rs 1.6 among them) can no longer read it"
        case .foreignGrant(let principal, let privileges, let securable):
            return "\(principal) holds \(privileges.joined(separator: ", ")) on \(securable), granted outside this manifest; left alone (set exclusive: true to manage every principal)"
        }
    }

    /// One diagnostic per change `drift --heal` left because policy refuses it: why,
    /// and how to settle it while keeping the guardrail (declare the change, or ignore
    /// the field), before the override.
    public static func healAdvice(_ refused: [Change], environment: String) -> [Diagnostic] {
        refused.map { change in
            let fields = change.fields.map(\.path).filter { !$0.isEmpty }
            let ignore = fields.isEmpty ? "" : ", or list \(fields.prefix(3).map { "\"\($0)\"" }.joined(separator: ", ")) under its \(Resource.ignoreAnnotation) annotation if that drift is expected"
            return .error(at: change.origin, "\(change.id): drift not healed: \(refusal(of: change)). To keep what the target has, declare it in the manifest\(ignore); to restore the manifest anyway, run drift --heal --allow-destructive")
        } + [.error(at: nil, "drift --heal left \(refused.count) change\(refused.count == 1 ? "" : "s") in \(environment) that the policy refuses; the rest was healed")]
    }

    private static func list(_ names: [String]) -> String {
        names.isEmpty ? "(none)" : "(" + names.joined(separator: ", ") + ")"
    }
}
