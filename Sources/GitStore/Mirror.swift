internal import CGit2
import Foundation

/// A bare mirror of a remote repository in a cache directory, kept current by
/// fetching: branches are mirrored as they are on the remote (a force-push moves
/// them too; a deleted branch goes). URLs: a local path, `file://`, `git://`,
/// `http(s)://` (with a token for private repositories).
public enum Mirror {
    /// Whether a token may be sent to `url`: over https, or plain http to this host.
    public static func mayCarryToken(_ url: String) -> Bool {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased() else { return false }
        if scheme == "https" { return true }
        return scheme == "http" && ["127.0.0.1", "localhost", "::1", "[::1]"].contains(parsed.host ?? "")
    }

    /// Why `url` cannot be watched as given, if it cannot: credentials written into the
    /// URL would be stored in the mirror's git config and show in logs; a token would
    /// travel in clear text over plain http.
    public static func credentialProblem(url: String, token: String?) -> String? {
        guard url.contains("://"), let parsed = URL(string: url) else { return nil }
        if parsed.password != nil || (parsed.user != nil && parsed.scheme?.lowercased().hasPrefix("http") == true) {
            return "the repository URL carries credentials (user:secret@), which would be stored in the mirror's git config and shown in logs; drop them from the URL and set RECONCILE_GIT_TOKEN instead"
        }
        if token != nil, parsed.scheme?.lowercased() == "http", !mayCarryToken(url) {
            return "RECONCILE_GIT_TOKEN is sent only over https (or http to this host), and the repository URL is plain http; use its https:// URL"
        }
        return nil
    }

    /// Clones into `directory` on first use, fetches after; returns the mirror. One
    /// process at a time: several `watch` processes given one `--cache-dir` take turns
    /// (a lock file in the mirror), waiting at most `lockTimeout` seconds. A mirror
    /// holding more than `compactAbove` packs is compacted into one after the fetch.
    public static func sync(url: String, into directory: String, token: String? = nil, lockTimeout: Double = 120,
                            compactAbove: Int = 50) throws(GitError) -> Repository {
        let lock = try FetchLock(directory: directory, timeout: lockTimeout)
        defer { lock.release() }
        return try fetch(url: url, into: directory, token: token, compactAbove: compactAbove)
    }

    private static func fetch(url: String, into directory: String, token: String?, compactAbove: Int) throws(GitError) -> Repository {
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

        // An in-memory remote for the URL as given, mirroring every branch. Not
        // `git_remote_lookup`: libgit2 1.5 (Debian 12) leaks a PCRE2 match block for
        // every config entry its url.*.insteadOf scan does not match (fixed upstream in
        // 1.6), about 0.3 MB per fetch, which made `watch` grow without bound. So
        // insteadOf rewriting is skipped: watch fetches exactly the URL it was given.
        var remote: OpaquePointer?
        var createOptions = git_remote_create_options()
        git_remote_create_options_init(&createOptions, UInt32(GIT_REMOTE_CREATE_OPTIONS_VERSION))
        createOptions.repository = repo
        createOptions.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF.rawValue
        let created = "+refs/heads/*:refs/heads/*".withCString { fetchspec in
            createOptions.fetchspec = fetchspec
            return git_remote_create_with_opts(&remote, url, &createOptions)
        }
        guard created == 0 else { throw GitError.last("git_remote_create(\(url))", code: created) }
        guard let remote else { throw GitError(call: "git_remote_create", code: -1, message: "no remote") }
        defer { git_remote_free(remote) }

        var options = git_fetch_options()
        git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION))
        options.prune = GIT_FETCH_PRUNE
        options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL
        let tokenCopy = token.map { strdup($0) } ?? nil
        defer { free(tokenCopy) }
        options.callbacks.payload = UnsafeMutableRawPointer(tokenCopy)
        options.callbacks.credentials = { out, url, _, allowed, payload in
            // The token goes only where it is encrypted in transit (or stays on this host).
            guard let payload, let url, Mirror.mayCarryToken(String(cString: url)),
                  allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0 else { return GIT_PASSTHROUGH.rawValue }
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
        try compact(repo, directory: directory, above: compactAbove)
        return try Repository(at: directory)
    }
}

/// An exclusive `flock` on `<mirror>/reconcile-fetch.lock` (git leaves other files in
/// a repository's directory alone), held while one process fetches into the mirror;
/// released when the process ends, however it ends.
struct FetchLock {
    let descriptor: Int32

    init(directory: String, timeout: Double) throws(GitError) {
        let path = directory + "/reconcile-fetch.lock"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw GitError(call: "open(\(path))", code: -1, message: "cannot open the mirror's lock file \(path): \(String(cString: strerror(errno)))")
        }
        let deadline = Date().addingTimeInterval(timeout)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR, Date() < deadline else {
                close(descriptor)
                throw GitError(call: "flock(\(path))", code: -1,
                               message: "another process has been fetching into \(directory) for over \(Int(timeout))s (it holds \(path)); give each watch its own --cache-dir, or stop the other")
            }
            usleep(50_000)
        }
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
