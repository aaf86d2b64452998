import Foundation
import GitStore
import Model

extension Workspace {
    /// Verifies that commit `revision` is signed by someone `requirement` allows, with
    /// the system's `ssh-keygen` (SSH signatures) or `gpg` (OpenPGP); returns who signed
    /// it. Anything that cannot be proven (no signature, an unknown signer, a missing
    /// tool or file, a timeout) is an error naming the commit.
    public func verifySignature(of revision: String, requirement: SignedCommits, environment: String) throws(ReconcileError) -> String {
        let commit = String(revision.prefix(12))
        func refuse(_ why: String) -> ReconcileError {
            ReconcileError("environment \(environment) accepts only signed commits (spec.policy.requireSignedCommits), and commit \(commit) \(why); nothing was changed", kind: .policyRefused)
        }
        guard revision.count == 40, revision.allSatisfy(\.isHexDigit) else { throw refuse("is not a commit (uncommitted manifests cannot be signed)") }
        let signature: CommitSignature?
        do throws(GitError) { signature = try repository.signature(of: revision) } catch {
            throw refuse("could not be read: \(error.message)")
        }
        guard let signature else { throw refuse("is not signed; sign it (git commit -S) with a key the allowed signers list") }
        let scratch: URL
        do {
            scratch = FileManager.default.temporaryDirectory.appendingPathComponent("reconcile-verify-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try signature.signature.write(to: scratch.appendingPathComponent("signature"))
            try signature.signedData.write(to: scratch.appendingPathComponent("payload"))
        } catch {
            throw refuse("could not be checked: \(error.localizedDescription)")
        }
        defer { try? FileManager.default.removeItem(at: scratch) }
        switch signature.format {
        case "ssh":
            guard let file = requirement.allowedSigners else { throw refuse("is signed with an SSH key, and only a GPG keyring is configured") }
            return try verifySSH(scratch, allowed: try trustedFile(file, environment: environment), refuse: refuse)
        case "gpg":
            guard let file = requirement.gpgKeyring else { throw refuse("is signed with GPG, and only SSH allowed signers are configured") }
            return try verifyGPG(scratch, keyring: try trustedFile(file, environment: environment), refuse: refuse)
        default:
            throw refuse("carries a signature in a format reconcile does not verify (neither SSH nor OpenPGP)")
        }
    }

    /// A signers file, absolute, readable, and outside the repository's working tree.
    func trustedFile(_ path: String, environment: String) throws(ReconcileError) -> String {
        // Symbolic links resolved on both sides: a link cannot smuggle a file in the repository.
        let absolute = URL(fileURLWithPath: SafePath.absolute(path, base: projectDirectory)).resolvingSymlinksInPath().path
        if let workdir = repository.workdir {
            let root = URL(fileURLWithPath: SafePath.absolute(workdir, base: "/")).resolvingSymlinksInPath().path
            if absolute == root || absolute.hasPrefix(root + "/") {
                throw ReconcileError("environment \(environment): spec.policy.requireSignedCommits names \(path), which is inside the repository, where a commit could add its own key; keep the file outside it (for example /etc/reconcile/allowed_signers)", kind: .invalid)
            }
        }
        guard FileManager.default.isReadableFile(atPath: absolute) else {
            throw ReconcileError("environment \(environment): spec.policy.requireSignedCommits names \(path), which cannot be read; nothing can be verified, so nothing is applied", kind: .invalid)
        }
        return absolute
    }

    private func verifySSH(_ scratch: URL, allowed: String, refuse: (String) -> ReconcileError) throws(ReconcileError) -> String {
        let found = try tool("ssh-keygen", ["-Y", "find-principals", "-s", "signature", "-f", allowed], scratch: scratch, refuse: refuse)
        let principals = found.code == 0 ? found.stdout.split(separator: "\n").map(String.init).filter { !$0.isEmpty } : []
        guard !principals.isEmpty else { throw refuse("is signed by an SSH key that \(allowed) does not list") }
        for principal in principals {
            let checked = try tool("ssh-keygen", ["-Y", "verify", "-f", allowed, "-I", principal, "-n", "git", "-s", "signature"], stdin: scratch.appendingPathComponent("payload"), scratch: scratch, refuse: refuse)
            if checked.code == 0 { return "\(principal) (SSH)" }
        }
        throw refuse("has an SSH signature that does not verify for \(principals.joined(separator: ", ")): the commit was changed after signing, or the key is not allowed for git")
    }

    private func verifyGPG(_ scratch: URL, keyring: String, refuse: (String) -> ReconcileError) throws(ReconcileError) -> String {
        let home = scratch.appendingPathComponent("gnupg")
        do { try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) } catch {
            throw refuse("could not be checked: \(error.localizedDescription)")
        }
        let checked = try tool("gpg", ["--batch", "--no-tty", "--no-default-keyring", "--keyring", keyring, "--trust-model", "always", "--status-fd", "1",
                                       "--verify", "signature", "payload"], environment: ["GNUPGHOME": home.path], scratch: scratch, refuse: refuse)
        let status = checked.stdout.split(separator: "\n")
        guard checked.code == 0, let valid = status.first(where: { $0.hasPrefix("[GNUPG:] VALIDSIG ") }) else {
            if status.contains(where: { $0.hasPrefix("[GNUPG:] NO_PUBKEY") || $0.hasPrefix("[GNUPG:] ERRSIG") }) {
                throw refuse("is signed by a GPG key that \(keyring) does not hold")
            }
            throw refuse("has a GPG signature that does not verify: the commit was changed after signing")
        }
        let fingerprint = valid.split(separator: " ").dropFirst(2).first.map(String.init) ?? "?"
        let user = status.first { $0.hasPrefix("[GNUPG:] GOODSIG ") }.map { $0.split(separator: " ").dropFirst(3).joined(separator: " ") } ?? ""
        return "\(user.isEmpty ? fingerprint : user) (GPG \(fingerprint))"
    }

    private func tool(_ program: String, _ arguments: [String], stdin: URL? = nil, environment: [String: String] = [:], scratch: URL,
                      refuse: (String) -> ReconcileError) throws(ReconcileError) -> Subprocess.Result {
        do throws(Subprocess.Failure) {
            return try Subprocess.run(program, arguments, stdin: stdin, environment: environment, in: scratch)
        } catch {
            switch error {
            case .notFound: throw refuse("cannot be checked: \(program) is not installed (apt install \(program == "gpg" ? "gnupg" : "openssh-client"))")
            case .timedOut(_, let seconds): throw refuse("could not be checked: \(program) did not finish within \(Int(seconds)) s")
            case .cannotRun(_, let why): throw refuse("could not be checked: \(program) did not start (\(why))")
            }
        }
    }
}
