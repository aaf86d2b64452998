import Model
import Synchronization

/// What each manifest file decoded to, for one environment, kept by a long-running
/// process (`watch`) between revisions: a commit that changes one file out of 10,000
/// parses and decodes that one file. Keyed by path and git blob id (the same id is
/// the same bytes) within a context: the environment as decoded (variables, targets)
/// and its file's blob (its overlays). Bounded: it holds the files of the last render
/// only, so it never grows with the revisions seen. Working-tree files (no blob id)
/// are never cached.
public final class DecodeCache: Sendable {
    struct Key: Hashable {
        var path: String
        var blob: String?

        init(_ file: SourceFile) {
            path = file.path
            blob = file.blob
        }

        init(path: String, blob: String) {
            self.path = path
            self.blob = blob
        }
    }

    struct Context: Hashable {
        var environment: Environment
        var file: String
        var fileBlob: String?
    }

    private struct State {
        var context: Context?
        var parts: [Key: Loader.DecodedPart] = [:]
        var decoded = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// How many files were decoded into the cache so far (a miss each).
    public var decoded: Int { state.withLock { $0.decoded } }

    /// Whether the file at `path` with blob `blob` was decoded (in the last render's
    /// context: a render in another context reads the revision again).
    public func decoded(path: String, blob: String) -> Bool {
        state.withLock { $0.parts[Key(path: path, blob: blob)] != nil }
    }

    /// The parts known for `files` in `context`.
    func parts(for files: [SourceFile], in context: Context) -> [Key: Loader.DecodedPart] {
        guard context.fileBlob != nil || context.file.isEmpty else { return [:] }
        return state.withLock { state in
            guard state.context == context else { return [:] }
            var found: [Key: Loader.DecodedPart] = [:]
            for file in files where file.blob != nil {
                let key = Key(file)
                if let part = state.parts[key] { found[key] = part }
            }
            return found
        }
    }

    /// Keeps exactly `parts` (this render's files with a blob id) for `context`.
    func keep(_ parts: [Key: Loader.DecodedPart], in context: Context) {
        guard context.fileBlob != nil || context.file.isEmpty else { return }
        let committed = parts.filter { $0.key.blob != nil }
        state.withLock { state in
            let reused = state.context == context ? committed.keys.filter { state.parts[$0] != nil }.count : 0
            state.decoded += committed.count - reused
            state.context = context
            state.parts = committed
        }
    }
}
