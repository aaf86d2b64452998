internal import CGit2
import Foundation

/// A commit's signature and the bytes it signs, as git stores them (the `gpgsig`
/// header and the commit object without it).
public struct CommitSignature: Sendable, Hashable {
    public var signature: Data
    public var signedData: Data

    /// `ssh`, `gpg` or nil (a format reconcile does not verify), by the armor's first line.
    public var format: String? {
        let head = String(decoding: signature.prefix(40), as: UTF8.self)
        if head.hasPrefix("-----BEGIN SSH SIGNATURE-----") { return "ssh" }
        if head.hasPrefix("-----BEGIN PGP SIGNATURE-----") { return "gpg" }
        return nil
    }
}

extension Repository {
    /// The signature of commit `id` (40 hex digits); nil when the commit is unsigned.
    public func signature(of id: String) throws(GitError) -> CommitSignature? {
        var oid = git_oid()
        guard git_oid_fromstr(&oid, id) == 0 else { throw GitError(call: "git_oid_fromstr", code: -1, message: "\"\(id)\" is not a commit id") }
        var signature = git_buf(), signed = git_buf()
        defer { git_buf_dispose(&signature); git_buf_dispose(&signed) }
        let code = git_commit_extract_signature(&signature, &signed, handle, &oid, nil)
        if code == GIT_ENOTFOUND.rawValue { return nil }
        guard code == 0 else { throw GitError.last("git_commit_extract_signature(\(id.prefix(12)))", code: code) }
        func data(_ buffer: git_buf) -> Data { buffer.ptr.map { Data(bytes: $0, count: buffer.size) } ?? Data() }
        return CommitSignature(signature: data(signature), signedData: data(signed))
    }
}
