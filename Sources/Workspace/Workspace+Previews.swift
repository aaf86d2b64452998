import Foundation
import LocalTarget
import Model

extension Workspace {
    /// Where a preview lives, in words: its local roots and its Databricks catalog.
    public func previewPlaces(_ preview: Environment) -> [String] {
        var places: [String] = []
        for case .local(let path) in preview.allTargets { places.append(path) }
        if preview.allTargets.contains(where: { if case .databricks = $0 { return true }; return false }), let catalog = preview.variables["catalog"] {
            places.append("catalog \(catalog)")
        }
        return places
    }

    /// After `preview destroy` deleted everything the preview created: removes each of
    /// its local roots that holds nothing but what reconcile keeps there (its state,
    /// catalog database, flag file, trash), and its state file outside them. A root
    /// holding anything else stays, and the error says what is in it.
    public func removePreviewLeftovers(_ preview: Environment) throws(ReconcileError) -> [String] {
        var removed: [String] = []
        var problems: [String] = []
        let files = FileManager.default
        for case .local(let path) in preview.allTargets {
            let root = SafePath.absolute(path, base: projectDirectory)
            guard files.fileExists(atPath: root) else { continue }
            let foreign = Self.foreignFiles(in: root)
            guard foreign.isEmpty else {
                problems.append("\(path) still holds files the preview did not create (\(foreign.prefix(5).joined(separator: ", "))\(foreign.count > 5 ? ", …" : "")), so it was kept; move them out and remove it")
                continue
            }
            do { try files.removeItem(atPath: root); removed.append(path) } catch {
                problems.append("\(path) could not be removed: \(error.localizedDescription)")
            }
        }
        let state = stateLocation(for: preview)
        if files.fileExists(atPath: state.path) {
            for suffix in ["", "-wal", "-shm", "-journal"] where files.fileExists(atPath: state.path + suffix) {
                do { try files.removeItem(atPath: state.path + suffix) } catch {
                    problems.append("\(state.display)\(suffix) could not be removed: \(error.localizedDescription)")
                }
            }
            removed.append(state.display)
        }
        if !problems.isEmpty {
            throw ReconcileError(problems.map { .error(at: nil, "preview \(preview.name): everything it created is deleted, but \($0)") }, kind: .target)
        }
        return removed
    }

    /// Files under `root` (relative) that are not reconcile's own bookkeeping; a
    /// directory that cannot be listed counts as foreign, so nothing unread is removed.
    static func foreignFiles(in root: String) -> [String] {
        let own: Set<String> = ["catalog.db", "catalog.db-wal", "catalog.db-shm", "catalog.db-journal", "flags.json"]
        let ownTrees = [".reconcile", ".trash"]
        var foreign: [String] = []
        var pending = [""]
        while let relative = pending.popLast(), foreign.count < 20 {
            let directory = relative.isEmpty ? root : root + "/" + relative
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
                foreign.append(relative.isEmpty ? "." : relative + " (unreadable)")
                continue
            }
            for name in names.sorted() {
                let path = relative.isEmpty ? name : relative + "/" + name
                if relative.isEmpty && (own.contains(name) || ownTrees.contains(name)) { continue }
                // A symbolic link is foreign whatever it points to: it is never followed.
                let type = (try? FileManager.default.attributesOfItem(atPath: directory + "/" + name))?[.type] as? FileAttributeType
                if type == .typeDirectory {
                    pending.append(path)
                } else {
                    foreign.append(path)
                }
            }
        }
        return foreign
    }
}
