/// The one error every layer above the core throws: what went wrong as diagnostics
/// (with positions where they are known) and what kind of failure it is. Decisions
/// (exit codes, watch status, metrics) switch on `kind`, never on the words; the
/// words are rendered only at the edge (`DiagnosticRenderer`).
public struct ReconcileError: Error, Sendable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The input is wrong: manifests, environment files, references, options, revisions.
        case invalid
        /// Another process holds the environment's lock, or its holder cannot be proven gone.
        case locked
        /// The policy refuses a change the plan holds, or a promotion gate is closed.
        case policyRefused
        /// A target failed or answered something unexpected (observe, apply).
        case target
        /// The state store could not be read or written.
        case store
        /// The repository could not be read or written (git, the working tree).
        case source
        /// A state the code should never reach: a bug to report.
        case bug
    }

    public var kind: Kind
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic], kind: Kind) {
        self.diagnostics = diagnostics
        self.kind = kind
    }

    public init(_ message: String, kind: Kind) { self.init([.error(at: nil, message)], kind: kind) }

    /// A target's error, said as what the target reported.
    public init(target error: TargetError, context: String = "") {
        self.init(error.description + context, kind: .target)
    }

    /// A state store's error.
    public init(store error: TargetError) {
        self.init(error.description, kind: .store)
    }

    public var message: String { diagnostics.map(\.description).joined(separator: "\n") }
}
