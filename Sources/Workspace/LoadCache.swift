import Foundation
import Loading
import Synchronization

/// What a long-running process (`watch`) keeps between cycles: the manifests parsed
/// at a revision, and the state rendered for an environment from them. A revision's
/// files never change, so a cycle without a new commit parses and renders nothing.
public final class LoadCache: Sendable {
    private struct Entries {
        var loads = 0
        var loaded: [(revision: String, source: LoadedSource)] = []
        var rendered: [(key: String, state: DesiredState)] = []
    }

    private let entries = Mutex(Entries())
    /// Each manifest file's decoding, by blob id: a new revision decodes only the
    /// files it changed.
    public let files = DecodeCache()
    /// How many revisions (and twice as many rendered states) are kept: the most
    /// recently used, so memory is bounded however many revisions `watch` sees.
    let capacity: Int

    public init(capacity: Int = 3) { self.capacity = capacity }

    /// How many revisions were parsed so far (a cache miss each).
    public var loads: Int { entries.withLock { $0.loads } }

    /// A hit moves to the back: the least recently used entry goes first.
    func loaded(_ revision: String) -> LoadedSource? {
        entries.withLock { entries in
            guard let index = entries.loaded.firstIndex(where: { $0.revision == revision }) else { return nil }
            let hit = entries.loaded.remove(at: index)
            entries.loaded.append(hit)
            return hit.source
        }
    }

    /// Keeps `source` without its parsed manifests: what is rendered from them is kept
    /// as rendered states; a state not kept is rendered from the revision read again.
    func store(_ source: LoadedSource, revision: String) {
        let light = source.withoutDocuments()
        entries.withLock { entries in
            entries.loads += 1
            entries.loaded.removeAll { $0.revision == revision }
            entries.loaded.append((revision, light))
            if entries.loaded.count > capacity { entries.loaded.removeFirst(entries.loaded.count - capacity) }
        }
    }

    func rendered(_ key: String) -> DesiredState? {
        entries.withLock { entries in
            guard let index = entries.rendered.firstIndex(where: { $0.key == key }) else { return nil }
            let hit = entries.rendered.remove(at: index)
            entries.rendered.append(hit)
            return hit.state
        }
    }

    func store(_ state: DesiredState, key: String) {
        entries.withLock { entries in
            entries.rendered.removeAll { $0.key == key }
            entries.rendered.append((key, state))
            if entries.rendered.count > capacity * 2 { entries.rendered.removeFirst(entries.rendered.count - capacity * 2) }
        }
    }
}
