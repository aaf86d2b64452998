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
    /// A file's decoding, and the blob it was decoded from.
    struct Entry: Sendable {
        var blob: String
        var part: Loader.DecodedPart
    }

    struct Context: Hashable {
        var environment: Environment
        var file: String
        var fileBlob: String?
    }

    /// The last render's decodings by path, in its context.
    struct Parts: Sendable {
        var entries: [String: Entry] = [:]

        /// The decoding of `file` if it has a blob id and that blob was decoded.
        func part(for file: SourceFile) -> Loader.DecodedPart? {
            guard let blob = file.blob, let entry = entries[file.path], entry.blob == blob else { return nil }
            return entry.part
        }
    }

    private struct State {
        var context: Context?
        var parts = Parts()
        var decoded = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// How many files were decoded into the cache so far (a miss each).
    public var decoded: Int { state.withLock { $0.decoded } }

    /// Whether the file at `path` with blob `blob` was decoded (in the last render's
    /// context: a render in another context reads the revision again).
    public func decoded(path: String, blob: String) -> Bool {
        state.withLock { $0.parts.entries[path]?.blob == blob }
    }

    /// How many files' decodings are kept.
    var count: Int { state.withLock { $0.parts.entries.count } }

    /// The blob id kept for `path`, if any.
    func blob(of path: String) -> String? { state.withLock { $0.parts.entries[path]?.blob } }

    /// The decodings kept for `context` (none for another context).
    func parts(in context: Context) -> Parts {
        guard context.fileBlob != nil || context.file.isEmpty else { return Parts() }
        return state.withLock { state in state.context == context ? state.parts : Parts() }
    }

    /// Keeps this render's decodings for `context`: `reused` (as `parts(in:)` gave
    /// them) and `fresh`, decoded now. `current` is how many of the render's `files`
    /// those hold (the hits and the fresh ones with a blob id): entries beyond it are
    /// of paths gone since, dropped, so the cache never grows with the revisions seen.
    func keep(reused: Parts, fresh: [(file: SourceFile, part: Loader.DecodedPart)], current: Int, of files: [SourceFile], in context: Context) {
        guard context.fileBlob != nil || context.file.isEmpty else { return }
        var kept = reused
        var added = 0
        for (file, part) in fresh {
            guard let blob = file.blob else { continue }
            kept.entries[file.path] = Entry(blob: blob, part: part)
            added += 1
        }
        if kept.entries.count > current {
            let paths = Set(files.map(\.path))
            kept.entries = kept.entries.filter { paths.contains($0.key) }
        }
        state.withLock { state in
            state.decoded += added
            state.context = context
            state.parts = kept
        }
    }
}
