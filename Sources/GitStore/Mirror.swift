internal import CGit2
import Foundation

/// A bare mirror of a remote repository in a cache directory, kept current by
/// fetching: branches are mirrored as they are on the remote (a force-push moves
/// them too; a deleted branch goes). URLs: a local path, `file://`, `git://`,
/// `http(s)://` (with a token for private repositories).
public enum Mirror {
    /// Clones into `directory` on first use, fetches after; returns the mirror.
    public static func sync(url: String, into directory: String, token: String? = nil) throws(GitError) -> Repository {
        _ = Repository.ready
        var repo: OpaquePointer?
        if FileManager.default.fileExists(atPath: directory + "/HEAD") {
            let code = git_repository_open_bare(&repo, directory)
            guard code == 0 else { throw GitError.last("git_repository_open_bare(\(directory))", code: code) }
        } else {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let code = git_repository_init(&repo, directory, 1)
            guard code == 0 else { throw GitError.last("git_repository_init(\(directory))", code: code) }
        }
        guard let repo else { throw GitError(call: "open mirror", code: -1, message: "no repository") }
        defer { git_repository_free(repo) }

        var remote: OpaquePointer?
        if git_remote_lookup(&remote, repo, "origin") == 0, let found = remote {
            if git_remote_url(found).map({ String(cString: $0) }) != url {
                git_remote_free(found)
                git_remote_set_url(repo, "origin", url)
                guard git_remote_lookup(&remote, repo, "origin") == 0 else { throw GitError.last("git_remote_lookup(origin)", code: -1) }
            }
        } else {
            let code = git_remote_create_with_fetchspec(&remote, repo, "origin", url, "+refs/heads/*:refs/heads/*")
            guard code == 0 else { throw GitError.last("git_remote_create(origin, \(url))", code: code) }
        }
        guard let remote else { throw GitError(call: "git_remote_lookup", code: -1, message: "no remote") }
        defer { git_remote_free(remote) }

        var options = git_fetch_options()
        git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION))
        options.prune = GIT_FETCH_PRUNE
        options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL
        let tokenCopy = token.map { strdup($0) } ?? nil
        defer { free(tokenCopy) }
        options.callbacks.payload = UnsafeMutableRawPointer(tokenCopy)
        options.callbacks.credentials = { out, _, _, allowed, payload in
            guard let payload, allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0 else { return GIT_PASSTHROUGH.rawValue }
            return git_credential_userpass_plaintext_new(out, "x-access-token", payload.assumingMemoryBound(to: CChar.self))
        }
        let code = git_remote_fetch(remote, nil, &options, "reconcile: fetch")
        guard code == 0 else { throw GitError.last("fetch \(url)", code: code) }

        // HEAD follows the remote's default branch.
        var buffer = git_buf()
        defer { git_buf_dispose(&buffer) }
        if git_remote_default_branch(&buffer, remote) == 0, let name = buffer.ptr {
            git_repository_set_head(repo, name)
        }
        return try Repository(at: directory)
    }
}
