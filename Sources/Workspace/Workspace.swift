import Engine
import Foundation
import GitStore
import Loading
import LocalTarget
import Model
import Rendering
import SQLiteState
import PostgresState
import Runtime

/// The options that say what to read.
public struct ReadOptions: Sendable {
    public var repo: String?
    public var revision: String
    public var worktree: Bool
    /// The project's directory in the repository (`--path`); nil: the directory the
    /// command runs in, or the nearest above it with an `environments/` directory,
    /// else the repository root.
    public var path: String?

    public init(repo: String? = nil, revision: String = "HEAD", worktree: Bool = false, path: String? = nil) {
        self.repo = repo
        self.revision = revision
        self.worktree = worktree
        self.path = path
    }
}

/// What a command or the watch loop works from: the repository, the environment
/// files at the revision it runs on, and each environment's manifests at that
/// environment's source revision. Everything here is I/O at the edges; the engine
/// it calls is pure.
public final class Workspace {
    public let repository: Repository
    public let options: ReadOptions
    /// Where warnings go (a stale lock taken over, an interrupted apply).
    public var warn: (String) -> Void = { FileHandle.standardError.write(Data(("warning: " + $0 + "\n").utf8)) }
    /// The files at `--revision` (or the working tree): environment files always
    /// come from here.
    public let source: SourceSet
    public let loaded: LoadedSource
    /// The project's directory in the repository (`""`: its root; else ends in `/`).
    public let project: String
    /// Manifests read at other revisions (pinned or branch-tracking environments), by commit.
    private var otherRevisions: [String: LoadedSource] = [:]
    /// Warnings already shown, so an environment rendered twice warns once.
    private var warned: Set<Diagnostic> = []
    /// Parsed revisions and rendered states kept across workspaces (`watch`), if any.
    let cache: LoadCache?

    public init(_ options: ReadOptions, cache: LoadCache? = nil) throws(ReconcileError) {
        self.options = options
        self.cache = cache
        let cwd = FileManager.default.currentDirectoryPath
        do throws(GitError) {
            if let path = options.repo {
                repository = try Repository(at: path)
            } else {
                repository = try Repository(discoveringFrom: cwd)
            }
        } catch {
            let place = options.repo ?? cwd
            throw ReconcileError("not a git repository: \(place)\(options.repo == nil ? " (or any of its parents)" : ""); run inside a repository or pass --repo PATH (\(error.message))", kind: .source)
        }
        project = Self.project(options, repository: repository, cwd: cwd)
        if options.worktree {
            guard let workdir = repository.workdir else {
                throw ReconcileError("--worktree needs a repository with a working tree, and this one is bare", kind: .invalid)
            }
            do {
                source = try SourceSet.readWorktree(root: workdir, project: project)
            } catch {
                throw ReconcileError("cannot read the working tree at \(workdir): \(error.localizedDescription)", kind: .source)
            }
            loaded = Loader.load(source)
        } else if let cache, let commit = try? repository.resolve(options.revision), let hit = cache.loaded(commit.id.hex + "|" + project) {
            source = hit.source
            loaded = hit
        } else {
            // Manifests whose decoding is cached are listed, not read (their blob ids say
            // they are the same bytes); a render that needs them reads again (desired).
            let files = cache?.files
            source = try Self.read(repository, options.revision, project: project) { files?.decoded(path: $0, blob: $1) ?? false }
            loaded = Loader.load(source)
            cache?.store(loaded, revision: source.revision + "|" + project)
        }
    }

    /// The project directory: `--path`, else the working directory or its nearest
    /// ancestor inside the repository that has `environments/`, else the root.
    static func project(_ options: ReadOptions, repository: Repository, cwd: String) -> String {
        if let path = options.path { return SourceSet.normalizedProject(path) }
        guard options.repo == nil, let workdir = repository.workdir else { return "" }
        return project(in: workdir, from: cwd)
    }

    /// The nearest directory from `cwd` up to `workdir` that has `environments/*.yaml`,
    /// as a project prefix; `""` for none (the repository root).
    public static func project(in workdir: String, from cwd: String) -> String {
        let root = URL(fileURLWithPath: workdir).standardizedFileURL.resolvingSymlinksInPath().path
        let here = URL(fileURLWithPath: cwd).standardizedFileURL.resolvingSymlinksInPath().path
        guard here.hasPrefix(root) else { return "" }
        var relative = String(here.dropFirst(root.count)).split(separator: "/").map(String.init)
        while !relative.isEmpty {
            // A directory with environments/*.yaml (terraform/environments/*.tfvars is not one).
            let candidate = relative.joined(separator: "/")
            let names = (try? FileManager.default.contentsOfDirectory(atPath: root + "/" + candidate + "/" + SourceSet.environmentDirectory)) ?? []
            if names.contains(where: { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }) {
                return candidate + "/"
            }
            relative.removeLast()
        }
        return ""
    }

    public static func read(_ repository: Repository, _ revision: String, project: String = "", skip: (String, String) -> Bool = { _, _ in false }) throws(ReconcileError) -> SourceSet {
        do {
            return try SourceSet.read(from: repository, revision: revision, project: project, skip: skip)
        } catch {
            if error.isNotFound || error.call.hasPrefix("git_revparse") || error.call.hasPrefix("git_object_peel") {
                throw ReconcileError("unknown revision \"\(revision)\": \(error.message); pass a branch, tag, sha or HEAD~n that exists", kind: .invalid)
            }
            throw ReconcileError("cannot read revision \"\(revision)\": \(error)", kind: .source)
        }
    }

    // MARK: Environments and their manifests

    public func environment(_ name: String) throws(ReconcileError) -> Environment {
        let environment: Environment
        do {
            environment = try Loader.environment(name, in: loaded)
        } catch {
            throw ReconcileError(error.diagnostics, kind: .invalid)
        }
        return try resolvingPaths(environment)
    }

    /// The revision an environment's manifests are read at; nil for the run's own.
    public func manifestRevision(_ environment: Environment) -> String? {
        guard !options.worktree else { return nil }
        switch environment.source {
        case .current: return nil
        case .revision(let revision): return revision
        case .branch(let branch):
            return (try? repository.resolve("refs/heads/\(branch)")) != nil ? "refs/heads/\(branch)" : branch
        }
    }

    /// The environment's manifests, rendered and validated; at `revision` when given,
    /// else at the environment's source revision.
    public func desired(_ environment: Environment, at revision: String? = nil) throws(ReconcileError) -> DesiredState {
        var manifests = loaded
        if revision == nil, options.revision != "HEAD", !options.worktree, environment.source != .current {
            let follows: String
            switch environment.source {
            case .branch(let branch): follows = "the branch \"\(branch)\" (spec.source.branch)"
            case .revision(let pinned): follows = "the pinned revision \(pinned.prefix(12)) (spec.source.revision)"
            case .current: follows = ""
            }
            throw ReconcileError([.error(at: environment.origin,
                "environment \(environment.name) reads its manifests at \(follows), so --revision \(options.revision) would not be used for them; drop --revision, or move the environment with promote or rollback")], kind: .invalid)
        }
        if let wanted = revision ?? manifestRevision(environment) {
            let commit: Commit
            do {
                commit = try repository.resolve(wanted)
            } catch {
                throw ReconcileError([.error(at: environment.origin, "environment \(environment.name) reads its manifests at \"\(wanted)\", which git cannot resolve: \(error.message)")], kind: .invalid)
            }
            if commit.id.hex != source.revision {
                if otherRevisions[commit.id.hex] == nil {
                    if let hit = cache?.loaded(commit.id.hex + "|" + project) {
                        otherRevisions[commit.id.hex] = hit
                    } else {
                        let other = Loader.load(try Self.read(repository, commit.id.hex, project: project))
                        cache?.store(other, revision: commit.id.hex + "|" + project)
                        otherRevisions[commit.id.hex] = other
                    }
                }
                manifests = otherRevisions[commit.id.hex]!
            }
        }
        // The environment file comes from this run's revision, the manifests from theirs.
        let cacheKey = "\(source.revision)|\(manifests.source.revision)|\(project)|\(environment.name)"
        if !options.worktree, let hit = cache?.rendered(cacheKey) { return hit }
        manifests = try renderable(manifests, for: environment)
        let state = Loader.render(manifests, for: environment, cache: options.worktree ? nil : cache?.files)
        let libraries = Loader.missingLibraries(state, revision: state.shortRevision) { path in
            // Library paths are relative to the project.
            if let commit = manifests.source.commit { return repository.containsFile(project + path, at: commit) }
            guard let workdir = repository.workdir else { return false }
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: workdir + project + path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        let problems = state.diagnostics + libraries
        if problems.contains(where: { $0.severity == .error }) { throw ReconcileError(problems, kind: .invalid) }
        for warning in problems where !warned.contains(warning) {
            warned.insert(warning)
            warn(warning.location.map { "\($0): \(warning.message)" } ?? warning.message)
        }
        if !options.worktree { cache?.store(state, key: cacheKey) }
        return state
    }

    /// `manifests` with every file a render for `environment` needs read.
    private func renderable(_ manifests: LoadedSource, for environment: Environment) throws(ReconcileError) -> LoadedSource {
        let files = options.worktree ? nil : cache?.files
        var manifests = manifests
        if !manifests.hasDocuments {
            // A cached revision keeps no parsed manifests: read it again to render it.
            manifests = Loader.load(try Self.read(repository, manifests.source.revision, project: project) { files?.decoded(path: $0, blob: $1) ?? false })
        }
        if Loader.needsBytes(manifests, for: environment, cache: files) {
            // Read for another context (another environment, an edited environment file):
            // the files not read are needed now; read the revision whole.
            manifests = Loader.load(try Self.read(repository, manifests.source.revision, project: project))
        }
        return manifests
    }

    public func desired(_ name: String) throws(ReconcileError) -> DesiredState {
        try desired(environment(name))
    }

    // MARK: Target and state

    /// The election among `watch` replicas, where the store is shared (PostgreSQL);
    /// nil where one replica is all there is.
    public func leaderElection(for environment: Environment) throws(ReconcileError) -> (any LeaderElection)? {
        guard let reference = environment.statePostgres else { return nil }
        return PostgresLeadership(url: try Self.postgresStore(reference).url, environment: environment.name)
    }

    /// The PostgreSQL store a reference names (its URL is a secret: never shown whole).
    static func postgresStore(_ reference: String) throws(ReconcileError) -> PostgresStateStore {
        let text: String
        do throws(SecretReference.Failure) {
            text = try SecretReference.resolve(reference, what: "the state store's PostgreSQL URL")
        } catch {
            throw ReconcileError(error.message, kind: .store)
        }
        do throws(TargetError) { return PostgresStateStore(url: try PostgresURL.parse(text)) } catch { throw ReconcileError(error.message, kind: .store) }
    }

    public func routedTarget(for environment: Environment) -> RoutedTarget {
        RoutedTarget(environment: environment, base: URL(fileURLWithPath: projectDirectory))
    }

    /// Where the environment's state store lives: `spec.state.path`; else in its local
    /// lakehouse's root; else `.reconcile/<env>.db` in the project directory.
    public func stateLocation(for environment: Environment) -> (path: String, display: String) {
        if let path = environment.statePath {
            return (SafePath.absolute(path, base: projectDirectory), path)
        }
        if let local = routedTarget(for: environment).local { return local.stateStorePath }
        let path = ".reconcile/\(environment.name).db"
        return (projectDirectory + "/" + path, path)
    }

    public func store(for environment: Environment) throws(ReconcileError) -> any StateStore {
        if let reference = environment.statePostgres { return try Self.postgresStore(reference) }
        let location = stateLocation(for: environment)
        do {
            if environment.statePath == nil, let local = routedTarget(for: environment).local { try local.ensureRoot() }
            return try SQLiteStateStore(path: location.path, displayPath: location.display)
        } catch {
            throw ReconcileError(error.description, kind: .store)
        }
    }

    /// The store if the environment has one yet: reading commands never create it.
    public func existingStore(for environment: Environment) throws(ReconcileError) -> (any StateStore)? {
        if let reference = environment.statePostgres { return try Self.postgresStore(reference) }
        guard FileManager.default.fileExists(atPath: stateLocation(for: environment).path) else { return nil }
        return try store(for: environment)
    }

    /// Who acts: git's user.name and user.email, else `$USER`.
    public lazy var actor: String = repository.configuredSignature()?.description
        ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown"

    // MARK: Reporting

    public func sourceLine(_ path: String, _ line: Int) -> String? {
        if let file = source.file(path) { return file.line(line) }
        for other in otherRevisions.values {
            if let file = other.source.file(path) { return file.line(line) }
        }
        return nil
    }
}
