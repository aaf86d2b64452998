internal import CGit2
import Foundation

/// Every fetch leaves one more pack in the mirror, and libgit2 has no `gc`: a `watch`
/// that fetched for an hour held 1,185 packs, and every object lookup that misses
/// its cache walks every pack index. Past a threshold the mirror is compacted:
/// every object it holds (reachable or not, so a revision that history names stays
/// readable after a force-push) is written into one new pack, and only then are
/// the packs it replaces deleted. Runs under the mirror's fetch lock.
extension Mirror {
    /// The pack files (`pack-….pack`) in the mirror, without those a `.keep` file
    /// protects.
    static func packs(in directory: String) -> [String] {
        let folder = directory + "/objects/pack"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let kept = Set(names.filter { $0.hasSuffix(".keep") }.map { String($0.dropLast(5)) })
        return names.filter { $0.hasPrefix("pack-") && $0.hasSuffix(".pack") }
            .filter { !kept.contains(String($0.dropLast(5))) }
            .sorted()
    }

    /// Compacts the mirror into one pack when it holds more than `limit` packs; returns
    /// how many packs it replaced (0 when it had no need to). A failure leaves every
    /// old pack in place: objects are never deleted before their copy is written.
    @discardableResult
    static func compact(_ repo: OpaquePointer, directory: String, above limit: Int) throws(GitError) -> Int {
        let before = packs(in: directory)
        guard before.count > limit else { return 0 }
        let ids = try allObjects(repo)
        guard !ids.isEmpty else { return 0 }

        var builder: OpaquePointer?
        let made = git_packbuilder_new(&builder, repo)
        guard made == 0, let builder else { throw GitError.last("git_packbuilder_new", code: made) }
        defer { git_packbuilder_free(builder) }
        git_packbuilder_set_threads(builder, 1)
        for var id in ids {
            let code = git_packbuilder_insert(builder, &id, nil)
            guard code == 0 else { throw GitError.last("git_packbuilder_insert", code: code) }
        }
        let folder = directory + "/objects/pack"
        let written = git_packbuilder_write(builder, folder, 0, nil, nil)
        guard written == 0 else {
            throw GitError.last("compacting the mirror \(directory) (writing one pack for \(before.count))", code: written)
        }
        guard let name = git_packbuilder_name(builder).map({ "pack-" + String(cString: $0) + ".pack" }),
              FileManager.default.fileExists(atPath: folder + "/" + name) else {
            throw GitError(call: "git_packbuilder_write", code: -1,
                           message: "compacting the mirror \(directory): the new pack is not where libgit2 said it wrote it; the old packs were kept")
        }
        var replaced = 0
        for old in before where old != name {
            // The index first: a reader that lists packs afterwards never sees a pack
            // without its data. A reader holding an old pack open keeps reading it
            // (unlinked files stay readable); one that misses looks again and finds
            // the new pack (libgit2 refreshes its pack list on a miss).
            let stem = folder + "/" + String(old.dropLast(5))
            for suffix in [".idx", ".rev", ".mtimes", ".pack"] { unlink(stem + suffix) }
            replaced += 1
        }
        return replaced
    }

    /// Every object id in the repository's object database, loose or packed.
    private static func allObjects(_ repo: OpaquePointer) throws(GitError) -> [git_oid] {
        var odb: OpaquePointer?
        let opened = git_repository_odb(&odb, repo)
        guard opened == 0, let odb else { throw GitError.last("git_repository_odb", code: opened) }
        defer { git_odb_free(odb) }
        final class Collected { var ids: [git_oid] = []; var seen = Set<String>() }
        let collected = Collected()
        let code = git_odb_foreach(odb, { id, payload in
            guard let id, let payload else { return -1 }
            let box = Unmanaged<Collected>.fromOpaque(payload).takeUnretainedValue()
            // The same object may sit in several packs (each fetch's pack is thin-
            // completed with the bases it deltas against).
            if box.seen.insert(ObjectID(id).hex).inserted { box.ids.append(id.pointee) }
            return 0
        }, Unmanaged.passUnretained(collected).toOpaque())
        guard code == 0 else { throw GitError.last("listing the objects of the mirror", code: code) }
        return collected.ids
    }
}
