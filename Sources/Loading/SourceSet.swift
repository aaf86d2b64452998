import Foundation
import GitStore
import Model

/// One YAML file read from a revision or from the working tree.
public struct SourceFile: Sendable {
    /// Relative to the repository root, with `/` separators.
    public var path: String
    public var bytes: [UInt8]
    /// A symbolic link: never read as YAML (it could point anywhere, and change underneath).
    public var isSymbolicLink: Bool
    /// The git blob id of a committed file (nil in a working tree): the same id is the
    /// same bytes, so what was decoded from it can be reused.
    public var blob: String?
    /// Not read from git (`bytes` is empty): what its blob decodes to was cached. A
    /// render that would need it must read the revision again, never decode emptiness.
    public var omitted: Bool

    public init(path: String, bytes: [UInt8], isSymbolicLink: Bool = false, blob: String? = nil, omitted: Bool = false) {
        self.path = path
        self.bytes = bytes
        self.isSymbolicLink = isSymbolicLink
        self.blob = blob
        self.omitted = omitted
    }

    /// The 1-based line, for printing under a diagnostic.
    public func line(_ number: Int) -> String? {
        var current = 1
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
            if current == number { return String(decoding: bytes[start..<index], as: UTF8.self) }
            current += 1
            start = index + 1
        }
        return current == number ? String(decoding: bytes[start...], as: UTF8.self) : nil
    }
}

/// The manifests and environment files of one revision (or of the working tree).
public struct SourceSet: Sendable {
    /// The full commit id, or `worktree`.
    public var revision: String
    /// A short form for display (`4f2c1e9`, or `worktree`).
    public var shortRevision: String
    public var files: [SourceFile]
    /// The commit read, or nil for the working tree.
    public var commit: Commit?
    /// The project's directory in the repository, `""` for its root or ending in `/`
    /// (`teams/sales/`): where `manifests/` and `environments/` are. Paths in `files`
    /// stay relative to the repository root, as git and editors name them.
    public var project: String

    public static let manifestDirectory = "manifests"
    public static let environmentDirectory = "environments"

    public init(revision: String, shortRevision: String, files: [SourceFile], commit: Commit? = nil, project: String = "") {
        self.revision = revision
        self.shortRevision = shortRevision
        self.files = files
        self.commit = commit
        self.project = project
    }

    public func isEnvironmentFile(_ path: String) -> Bool { path.hasPrefix(project + Self.environmentDirectory + "/") }

    /// `project` written as a directory prefix: no leading `./` or `/`, one trailing `/`.
    public static func normalizedProject(_ path: String) -> String {
        let parts = path.split(separator: "/").filter { $0 != "." && !$0.isEmpty }
        return parts.isEmpty ? "" : parts.joined(separator: "/") + "/"
    }

    public func file(_ path: String) -> SourceFile? { files.first { $0.path == path } }

    static func isYAML(_ path: String) -> Bool { path.hasSuffix(".yaml") || path.hasSuffix(".yml") }

    /// Whether `path` (relative to the project) is a manifest or an environment file.
    static func wanted(_ path: String) -> Bool {
        guard isYAML(path) else { return false }
        if path.hasPrefix(manifestDirectory + "/") { return true }
        // environments/<name>.yaml only, not nested
        return path.hasPrefix(environmentDirectory + "/") && !path.dropFirst(environmentDirectory.count + 1).contains("/")
    }

    /// Reads the files at `revision` straight from the object database: no checkout.
    /// `skip(path, blob)`: a manifest whose decoding is cached is listed but not read
    /// (environment files are always read).
    public static func read(from repository: Repository, revision: String, project: String = "", skip: (String, String) -> Bool = { _, _ in false }) throws(GitError) -> SourceSet {
        let commit = try repository.resolve(revision)
        let blobs = try repository.blobs(
            at: commit,
            descend: { directory in
                // The project's ancestors, then only its manifests/ and environments/.
                if (project).hasPrefix(directory + "/") { return true }
                guard directory.hasPrefix(project) else { return false }
                let inside = directory.dropFirst(project.count)
                return inside == manifestDirectory || inside == environmentDirectory || inside.hasPrefix(manifestDirectory + "/")
            },
            include: { $0.hasPrefix(project) && wanted(String($0.dropFirst(project.count))) },
            skip: { path, blob in path.hasPrefix(project + manifestDirectory + "/") && skip(path, blob) })
        return SourceSet(revision: commit.id.hex, shortRevision: commit.id.short,
                         files: blobs.map { SourceFile(path: $0.path, bytes: $0.bytes, isSymbolicLink: $0.isSymbolicLink, blob: $0.id.hex, omitted: $0.omitted) }, commit: commit, project: project)
    }

    /// Reads the files from the working tree at `root`, with uncommitted edits.
    public static func readWorktree(root: String, project: String = "") throws -> SourceSet {
        let rootURL = URL(fileURLWithPath: root, isDirectory: true).appendingPathComponent(project)
        var files: [SourceFile] = []
        for directory in [manifestDirectory, environmentDirectory] {
            let base = rootURL.appendingPathComponent(directory)
            guard let enumerator = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey]) else { continue }
            for case let url as URL in enumerator {
                let relative = directory + "/" + url.path.dropFirst(base.path.count + 1)
                guard wanted(relative) else { continue }
                var status = stat()
                guard lstat(url.path, &status) == 0 else { continue }
                if status.st_mode & S_IFMT == S_IFLNK {
                    files.append(SourceFile(path: project + relative, bytes: [], isSymbolicLink: true))
                    continue
                }
                guard status.st_mode & S_IFMT == S_IFREG else { continue }
                files.append(SourceFile(path: project + relative, bytes: Array(try Data(contentsOf: url))))
            }
        }
        return SourceSet(revision: "worktree", shortRevision: "worktree", files: files.sorted { $0.path < $1.path }, commit: nil, project: project)
    }
}
