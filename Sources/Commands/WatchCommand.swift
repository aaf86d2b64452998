import ArgumentParser
import Foundation
import GitStore
import Loading
import LocalTarget
import Logging
import Model
import Server
import Service
import Workspace

struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Reconcile environments continuously, and serve their status, metrics and flags over HTTP.",
        discussion: """
        On each interval (with jitter): fetch the repository into a cache with libgit2,
        plan, apply when the environment's policy.autoSync is true (else report
        OutOfSync), then check drift and heal or report it (policy.drift). Failures
        back off exponentially. SIGTERM and SIGINT let the change in flight finish and
        be recorded, then exit 0. Several environments (--env repeated, or --all) are
        each reconciled on their own schedule in one process, from one mirror; at most
        one cycle per core but one runs at once.

        HTTP: /healthz, /readyz, /metrics (Prometheus, labelled by environment),
        GET /api/v1/environments, GET /api/v1/environments/{env}/status|plan|history,
        POST /api/v1/environments/{env}/sync and POST /api/v1/sync (every environment;
        bearer token), POST /hooks/git (X-Hub-Signature-256; every environment),
        POST /environments/{env}/ofrep/v1/evaluate/flags[/{key}] (OFREP). Watching one
        environment, GET /api/v1/status|plan|history and /ofrep/v1/… serve it.
        Secrets come from the environment (RECONCILE_API_TOKEN, RECONCILE_WEBHOOK_SECRET,
        RECONCILE_GIT_TOKEN for http(s) remotes) or files; none is ever logged.
        """
    )

    @Option(name: .long, help: "An environment to reconcile; repeat it for several.")
    var env: [String] = []

    @Flag(name: .long, help: "Reconcile every environment the repository declares (read once, at start).")
    var all: Bool = false

    @Option(name: .long, help: "The repository: a path, file://, git:// or http(s):// URL (default: the repository containing the current directory).")
    var repo: String?

    @Option(name: .long, help: "The project's directory in the repository, holding manifests/ and environments/ (default: the current directory's nearest with environments/, else the root).")
    var path: String?

    @Option(name: .long, help: "Time between reconciles: 30s, 1m, 5m.")
    var interval: String = "1m"

    @Option(name: .long, help: "Address of the HTTP server.")
    var listen: String = "127.0.0.1:8080"

    @Option(name: .long, help: "Where the repository's mirror is kept (default: $XDG_CACHE_HOME or ~/.cache, reconcile/watch/<repository>-<env>.git, or -all.git, or the environments joined by +; never inside the working tree).")
    var cacheDir: String?

    @Option(name: .long, help: "A file holding the bearer token of POST /api/v1/sync (else RECONCILE_API_TOKEN).")
    var tokenFile: String?

    @Option(name: .long, help: "A file holding the HMAC secret of POST /hooks/git (else RECONCILE_WEBHOOK_SECRET).")
    var webhookSecretFile: String?

    @Option(name: .long, help: "The most HTTP connections served at once; more wait unread (a request head must arrive within 10s, a whole request within 30s; idle ones close after 30s).")
    var maxConnections: Int = 4096

    @Flag(name: .long, help: "Require the API's bearer token for reads too (metrics, status, plan, history, OFREP); /healthz and /readyz stay open.")
    var requireTokenForReads: Bool = false

    @Option(name: .long, help: "Log lines as text or json.")
    var logFormat: ReconcileLogHandler.Format = .text

    func validate() throws {
        switch (env.isEmpty, all) {
        case (true, false): throw ValidationError("say which environments to reconcile: --env NAME (repeat it for several) or --all")
        case (false, true): throw ValidationError("--all reconciles every environment: drop --env \(env.joined(separator: " --env ")), or drop --all")
        default: break
        }
        if let repeated = Dictionary(grouping: env, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw ValidationError("--env \(repeated) is given twice; name each environment once")
        }
        guard let seconds = Promotion.duration(interval), seconds >= 1 else {
            throw ValidationError("--interval \"\(interval)\" is not a duration of at least 1s; write e.g. 30s, 1m or 5m")
        }
        _ = seconds
        guard Self.address(listen) != nil else {
            throw ValidationError("--listen \"\(listen)\" is not HOST:PORT")
        }
        guard (1...100_000).contains(maxConnections) else {
            throw ValidationError("--max-connections must be between 1 and 100000")
        }
        if let repo, let problem = Mirror.credentialProblem(url: repo, token: ProcessInfo.processInfo.environment["RECONCILE_GIT_TOKEN"]) {
            throw ValidationError("--repo: \(problem)")
        }
    }

    static func address(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        return (String(text[..<colon]), port)
    }

    func secret(file: String?, variable: String) throws -> String? {
        if let file {
            do {
                return try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw ValidationError("cannot read \(file): \(error.localizedDescription)")
            }
        }
        return ProcessInfo.processInfo.environment[variable].flatMap { $0.isEmpty ? nil : $0 }
    }

    func run() async throws {
        LocalLakehouse.keepSnapshots(true)
        let format = logFormat
        LoggingSystem.bootstrap { ReconcileLogHandler(label: $0, format: format) }
        var logger = Logger(label: "reconcile.watch")
        let repository: String
        var project = ""
        if let repo {
            repository = repo.contains("://") || repo.hasPrefix("/") ? repo : FileManager.default.currentDirectoryPath + "/" + repo
        } else {
            do {
                let found = try Repository(discoveringFrom: FileManager.default.currentDirectoryPath)
                repository = found.workdir ?? FileManager.default.currentDirectoryPath
                if path == nil, let workdir = found.workdir {
                    project = Workspace.project(in: workdir, from: FileManager.default.currentDirectoryPath)
                }
            } catch {
                throw ValidationError("not a git repository here; pass --repo PATH or URL")
            }
        }
        let cache = try cacheDir ?? Self.defaultCache(repository: repository, environments: all ? nil : env)
        let (host, port) = Self.address(listen)!
        let token = ProcessInfo.processInfo.environment["RECONCILE_GIT_TOKEN"], directory = path.map(SourceSet.normalizedProject) ?? project
        let names = all ? try await Self.declaredEnvironments(repository: repository, cache: cache, token: token, project: directory) : env
        // The process's own lines name every environment it keeps; each reconciler's, its own.
        logger[metadataKey: "environment"] = "\(names.joined(separator: ","))"
        let settings = names.map { WatchSettings(environment: $0, repository: repository, cacheDirectory: cache, token: token, path: directory) }
        let secrets = APISecrets(apiToken: try secret(file: tokenFile, variable: "RECONCILE_API_TOKEN"),
                                 webhookSecret: try secret(file: webhookSecretFile, variable: "RECONCILE_WEBHOOK_SECRET"),
                                 requireTokenForReads: requireTokenForReads)
        if requireTokenForReads && secrets.apiToken == nil {
            throw ValidationError("--require-token-for-reads needs a token: set RECONCILE_API_TOKEN or pass --token-file")
        }
        try await WatchServer.run(settings: settings, interval: Promotion.duration(interval)!, host: host, port: port, secrets: secrets,
                                  limits: ServerLimits(maxConnections: maxConnections), logger: logger)
    }

    /// `--all`: the environments the repository's HEAD declares, its mirror fetched
    /// first. Nothing to reconcile, or a repository that cannot be read, stops here.
    static func declaredEnvironments(repository: String, cache: String, token: String?, project: String) async throws -> [String] {
        do throws(GitError) {
            try await SharedMirror(repository: repository, directory: cache, token: token).sync()
        } catch {
            throw ValidationError("--all: cannot fetch \(CycleRunner.redact(repository)) to list its environments: \(error.message)")
        }
        let names: [String]
        do throws(ReconcileError) {
            names = try Workspace(ReadOptions(repo: cache, revision: "HEAD", path: project)).environmentNames
        } catch {
            throw ValidationError("--all: cannot list the environments of \(CycleRunner.redact(repository)): \(error.diagnostics.first?.description ?? error.message)")
        }
        guard !names.isEmpty else {
            throw ValidationError("--all: \(CycleRunner.redact(repository)) declares no environment in \(project.isEmpty ? "" : project + "/")environments/")
        }
        return names
    }

    /// The mirror's default place: the user's cache directory, named by the repository
    /// and environments (nil: all), so that `git add -A` in a working tree never picks it up.
    static func defaultCache(repository: String, environments: [String]?) throws -> String {
        let variables = ProcessInfo.processInfo.environment
        let base: String
        if let cache = variables["XDG_CACHE_HOME"], cache.hasPrefix("/") {
            base = cache
        } else if let home = variables["HOME"], home.hasPrefix("/") {
            base = home + "/.cache"
        } else {
            throw ValidationError("no cache directory for the repository's mirror: set XDG_CACHE_HOME or HOME, or pass --cache-dir")
        }
        // FNV-1a of where the repository is: two repositories never share a mirror.
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in repository.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
        let name = URL(fileURLWithPath: repository).lastPathComponent.filter { $0.isLetter || $0.isNumber || "-_".contains($0) }
        let environment = environments.map { $0.count == 1 ? $0[0] : $0.sorted().joined(separator: "+") } ?? "all"
        return "\(base)/reconcile/watch/\(name.prefix(40))-\(String(hash, radix: 16))-\(environment.filter { $0.isLetter || $0.isNumber || "-_+".contains($0) }.prefix(100)).git"
    }
}

extension ReconcileLogHandler.Format: ExpressibleByArgument {}
