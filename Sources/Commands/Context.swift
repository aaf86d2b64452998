import ArgumentParser
import Engine
import Foundation
import GitStore
import Loading
import LocalTarget
import Model
import Rendering

/// A failure to report as diagnostics, then exit 1.
struct CommandFailure: Error {
    var diagnostics: [Diagnostic]
    init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    init(_ message: String) { diagnostics = [.error(at: nil, message)] }
}

/// What a command about one environment works from: the sources at a revision,
/// the environment, its desired state and its target.
struct Context {
    let source: SourceSet
    let loaded: LoadedSource
    let repository: Repository

    /// Reads the repository at the requested revision (or its working tree) and
    /// decodes the environments.
    init(_ options: CommonOptions) throws(CommandFailure) {
        let cwd = FileManager.default.currentDirectoryPath
        let repository: Repository
        do throws(GitError) {
            if let path = options.repo {
                repository = try Repository(at: path)
            } else {
                repository = try Repository(discoveringFrom: cwd)
            }
        } catch {
            let place = options.repo ?? cwd
            throw CommandFailure("not a git repository: \(place)\(options.repo == nil ? " (or any of its parents)" : ""); run inside a repository or pass --repo PATH (\(error.message))")
        }
        if options.worktree {
            guard let workdir = repository.workdir else {
                throw CommandFailure("--worktree needs a repository with a working tree, and this one is bare")
            }
            do {
                source = try SourceSet.readWorktree(root: workdir)
            } catch {
                throw CommandFailure("cannot read the working tree at \(workdir): \(error.localizedDescription)")
            }
        } else {
            do throws(GitError) {
                source = try SourceSet.read(from: repository, revision: options.revision)
            } catch {
                if error.isNotFound || error.call.hasPrefix("git_revparse") || error.call.hasPrefix("git_object_peel") {
                    throw CommandFailure("unknown revision \"\(options.revision)\": \(error.message); pass a branch, tag, sha or HEAD~n that exists")
                }
                throw CommandFailure("cannot read revision \"\(options.revision)\": \(error)")
            }
        }
        loaded = Loader.load(source)
        self.repository = repository
    }

    /// The environment's desired state; fails with every diagnostic found.
    func desired(_ name: String) throws(CommandFailure) -> DesiredState {
        let environment: Environment
        do {
            environment = try Loader.environment(name, in: loaded)
        } catch {
            throw CommandFailure(loaded.diagnostics + error.diagnostics)
        }
        let state = Loader.render(loaded, for: environment)
        let libraries = Loader.missingLibraries(state, revision: source.shortRevision) { path in
            if let commit = source.commit { return repository.containsFile(path, at: commit) }
            guard let workdir = repository.workdir else { return false }
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: workdir + path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        let problems = loaded.diagnostics + state.diagnostics + libraries
        if !problems.isEmpty { throw CommandFailure(problems) }
        return state
    }

    func target(for environment: Environment) -> LocalLakehouse {
        switch environment.target {
        case .local(let path):
            return LocalLakehouse(path: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        }
    }

    /// Observes the target and its inventory, and checks that everything the
    /// manifests depend on is declared or exists and stays.
    func observe(_ state: DesiredState, on target: some Target) throws(CommandFailure) -> (observed: [Resource], inventory: Inventory) {
        let observed: [Resource]
        let inventory: Inventory
        do {
            observed = try target.observe()
            inventory = try target.loadInventory(environment: state.environment.name)
        } catch {
            throw CommandFailure("\(error.description) (environment \(state.environment.name), \(target.summary))")
        }
        let problems = ReferenceCheck.diagnostics(desired: state.resources, observed: observed.map(\.id),
                                                  inventory: state.environment.policy.prune ? inventory : Inventory(environment: ""))
        if !problems.isEmpty { throw CommandFailure(problems) }
        return (observed, inventory)
    }

    /// Plans the environment and applies its policy.
    func plan(_ state: DesiredState, target: some Target, options: PolicyCheck.Options) throws(CommandFailure) -> Plan {
        let (observed, inventory) = try observe(state, on: target)
        let plan = Planner.plan(.init(
            environment: state.environment.name, revision: source.revision, target: target.summary,
            desired: state.resources, observed: observed, inventory: inventory, prune: state.environment.policy.prune))
        return PolicyCheck.evaluate(plan, policy: state.environment.policy, desired: state.resources, inventory: inventory, options: options)
    }

    /// Prints diagnostics with source lines, to standard error.
    func report(_ failure: CommandFailure) {
        Console.err(DiagnosticRenderer(style: Console.stderrStyle) { path, line in
            source.file(path)?.line(line)
        }.render(failure.diagnostics))
    }
}

/// Runs a command body, printing a failure as diagnostics and exiting 1.
func runReporting(_ options: CommonOptions, _ body: (Context) throws(CommandFailure) -> Int32) throws {
    var context: Context?
    do {
        let built = try Context(options)
        context = built
        let code = try body(built)
        if code != 0 { throw ExitCode(code) }
    } catch let failure as CommandFailure {
        if let context {
            context.report(failure)
        } else {
            Console.err(DiagnosticRenderer(style: Console.stderrStyle) { _, _ in nil }.render(failure.diagnostics))
        }
        throw ExitCode.failure
    }
}
