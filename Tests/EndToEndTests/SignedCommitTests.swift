import Foundation
import Testing
import TestSupport

/// Signed revisions (#15): commits signed in the test with `ssh-keygen` keys (and a GPG
/// key when gpg is installed), verified by reconcile with the system's tools.
@Suite struct SignedCommitTests {
    /// Two SSH keys, and an allowed-signers file (outside the repository) that lists only alice.
    final class Keys: @unchecked Sendable {
        let directory: TemporaryDirectory
        var alice: String { directory.url.appendingPathComponent("alice").path }
        var mallory: String { directory.url.appendingPathComponent("mallory").path }
        var allowed: String { directory.url.appendingPathComponent("allowed_signers").path }

        init() throws {
            directory = try TemporaryDirectory("reconcile-keys")
            for name in ["alice", "mallory"] {
                try Shell.check("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", directory.url.appendingPathComponent(name).path])
            }
            let key = try String(contentsOfFile: alice + ".pub", encoding: .utf8)
            try directory.write("allowed_signers", "alice@example.com namespaces=\"git\" \(key)")
        }
    }

    /// Commits everything, signed with `key` (nil: unsigned); returns the commit id.
    func commit(_ project: Project, _ message: String, key: String?, extra: [String] = [], environment: [String: String] = [:]) throws -> String {
        _ = try project.repo.git("add", "-A")
        var arguments = ["-c", "user.name=Alice", "-c", "user.email=alice@example.com"]
        if let key { arguments += ["-c", "gpg.format=ssh", "-c", "user.signingkey=\(key)"] }
        arguments += extra + ["commit", "-q", "--allow-empty", "-m", message] + (key != nil || !extra.isEmpty ? ["-S"] : [])
        let result = try Shell.run("git", arguments, in: project.url, environment: environment)
        #expect(result.code == 0, "\(result.output)")
        return try project.repo.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func requiring(_ project: Project, _ policy: String) throws {
        try project.write("environments/dev.yaml", Project.devEnvironment.replacingOccurrences(
            of: "policy: { destructive: allow, prune: true }", with: "policy: { destructive: allow, prune: true, requireSignedCommits: \(policy) }"))
    }

    @Test func onlyCommitsSignedByAnAllowedSSHKeyAreApplied() throws {
        let keys = try Keys()
        let project = try Project()
        try requiring(project, "{ allowedSigners: \"\(keys.allowed)\" }")
        let signed = try commit(project, "require signatures", key: keys.alice)
        let applied = try project.reconcile("apply", "--env", "dev")
        #expect(applied.code == 0, "\(applied.output)")
        #expect(try project.reconcile("audit", "--env", "dev", "--output", "json").stdout.contains("\"signedBy\": \"alice@example.com (SSH)\""))

        try project.write("manifests/gold.yaml", "apiVersion: reconcile/v1\nkind: Schema\nmetadata: { name: main.gold }\n")
        let unsigned = try commit(project, "unsigned", key: nil)
        let refused = try project.reconcile("apply", "--env", "dev")
        #expect(refused.code == 1 && refused.stderr.contains("commit \(unsigned.prefix(12)) is not signed; sign it (git commit -S)"), "\(refused.output)")
        #expect(!FileManager.default.fileExists(atPath: project.url.appendingPathComponent(".lakehouse/dev/main/gold").path))

        _ = try commit(project, "signed by mallory", key: keys.mallory)
        let stranger = try project.reconcile("apply", "--env", "dev")
        #expect(stranger.code == 1 && stranger.stderr.contains("is signed by an SSH key that \(keys.allowed) does not list"), "\(stranger.output)")

        // Dropping the requirement in an unsigned commit does not lift it.
        try project.write("environments/dev.yaml", Project.devEnvironment)
        _ = try commit(project, "drop the requirement, unsigned", key: nil)
        let ratchet = try project.reconcile("apply", "--env", "dev")
        #expect(ratchet.code == 1 && ratchet.stderr.contains("the last apply required signed commits; only a signed commit can lift the requirement"), "\(ratchet.output)")
        _ = try commit(project, "drop the requirement, signed", key: keys.alice)
        #expect(try project.reconcile("apply", "--env", "dev").code == 0)
        _ = try commit(project, "unsigned, now allowed", key: nil)
        #expect(try project.reconcile("apply", "--env", "dev").code == 0)
        _ = signed
    }

    @Test func aSignersFileInsideTheRepositoryIsRefused() throws {
        let keys = try Keys()
        let project = try Project()
        try project.write("allowed_signers", try String(contentsOfFile: keys.allowed, encoding: .utf8))
        try requiring(project, "{ allowedSigners: allowed_signers }")
        _ = try commit(project, "signers in the repository", key: keys.alice)
        let refused = try project.reconcile("apply", "--env", "dev")
        #expect(refused.code == 1 && refused.stderr.contains("which is inside the repository, where a commit could add its own key"), "\(refused.output)")
        try requiring(project, "{}")
        _ = try commit(project, "an empty requirement", key: keys.alice)
        let empty = try project.reconcile("validate")
        #expect(empty.code == 1 && empty.stderr.contains("needs allowedSigners (an SSH allowed-signers file) or gpgKeyring"), "\(empty.output)")
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/gpg")))
    func aGPGSignatureIsVerifiedAgainstTheKeyring() throws {
        let keys = try Keys()
        let home = keys.directory.url.appendingPathComponent("gnupg")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let gpg = ["GNUPGHOME": home.path]
        let made = try Shell.run("gpg", ["--batch", "--passphrase", "", "--quick-gen-key", "Alice <alice@example.com>", "ed25519", "sign", "never"], environment: gpg)
        #expect(made.code == 0, "\(made.output)")
        let keyring = keys.directory.url.appendingPathComponent("keyring.gpg").path
        #expect(try Shell.run("gpg", ["--batch", "--yes", "--output", keyring, "--export", "alice@example.com"], environment: gpg).code == 0)
        let project = try Project()
        try requiring(project, "{ gpgKeyring: \"\(keyring)\" }")
        _ = try commit(project, "gpg-signed", key: nil, extra: ["-c", "gpg.format=openpgp", "-c", "user.signingkey=alice@example.com"], environment: gpg)
        let applied = try project.reconcile("apply", "--env", "dev")
        #expect(applied.code == 0, "\(applied.output)")
        #expect(try project.reconcile("audit", "--env", "dev").stdout.contains("apply of dev"))
        _ = try commit(project, "ssh-signed", key: keys.alice)
        let wrongKind = try project.reconcile("apply", "--env", "dev")
        #expect(wrongKind.code == 1 && wrongKind.stderr.contains("is signed with an SSH key, and only a GPG keyring is configured"), "\(wrongKind.output)")
    }
}
