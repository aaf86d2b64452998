import Foundation

/// What a finished process printed and returned.
public struct ProcessResult: Sendable {
    public var code: Int32
    public var stdout: String
    public var stderr: String

    /// Both streams, for failure messages.
    public var output: String { "exit \(code)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
}

public enum Shell {
    /// Runs `executable` with `arguments` in `directory`, capturing both streams.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], in directory: URL? = nil,
                           environment: [String: String] = [:]) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
        process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
        if let directory { process.currentDirectoryURL = directory }
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes while the process runs, so a full pipe never blocks it.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        process.waitUntilExit()
        group.wait()
        return ProcessResult(code: process.terminationStatus,
                             stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs and fails unless the exit code is 0.
    @discardableResult
    public static func check(_ executable: String, _ arguments: [String], in directory: URL? = nil) throws -> ProcessResult {
        let result = try run(executable, arguments, in: directory)
        guard result.code == 0 else {
            throw TestFailure("\(executable) \(arguments.joined(separator: " ")) failed: \(result.output)")
        }
        return result
    }
}

public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A temporary directory removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let url: URL

    public init(_ prefix: String = "reconcile-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    public func write(_ relative: String, _ text: String) throws {
        let file = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: file, atomically: true, encoding: .utf8)
    }

    public func remove(_ relative: String) throws {
        try FileManager.default.removeItem(at: url.appendingPathComponent(relative))
    }

    public func read(_ relative: String) throws -> String {
        try String(contentsOf: url.appendingPathComponent(relative), encoding: .utf8)
    }
}

/// A git repository made with the git CLI, as a user would.
public final class GitFixture: @unchecked Sendable {
    public let directory: TemporaryDirectory
    public var url: URL { directory.url }

    public init() throws {
        directory = try TemporaryDirectory("reconcile-repo")
        try git("init", "-q", "-b", "main")
        try git("config", "user.email", "test@example.com")
        try git("config", "user.name", "Test")
        try git("config", "commit.gpgsign", "false")
    }

    @discardableResult
    public func git(_ arguments: String...) throws -> String {
        try Shell.check("git", arguments, in: url).stdout
    }

    public func write(_ relative: String, _ text: String) throws { try directory.write(relative, text) }

    /// Stages everything and commits; returns the new commit id.
    @discardableResult
    public func commit(_ message: String) throws -> String {
        try git("add", "-A")
        try git("commit", "-q", "--allow-empty", "-m", message)
        return try git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Where the package, the built binary and the test Python live.
public enum Paths {
    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `reconcile` binary: `RECONCILE_BIN`, or the debug build.
    public static var reconcile: String {
        ProcessInfo.processInfo.environment["RECONCILE_BIN"]
            ?? packageRoot.appendingPathComponent(".build/debug/reconcile").path
    }

    /// A Python with `deltalake`: `RECONCILE_PYTHON`, or the venv `scripts/setup --python` makes.
    public static var python: String {
        ProcessInfo.processInfo.environment["RECONCILE_PYTHON"]
            ?? packageRoot.appendingPathComponent(".venv/bin/python").path
    }

    /// A Python with `mlflow`: `RECONCILE_MLFLOW_PYTHON`, or the venv `scripts/setup --python` makes.
    public static var mlflowPython: String {
        ProcessInfo.processInfo.environment["RECONCILE_MLFLOW_PYTHON"]
            ?? packageRoot.appendingPathComponent(".venv-mlflow/bin/python").path
    }

    public static let support = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    public static let deltaInspect = support.appendingPathComponent("delta_inspect.py").path
    public static let deltaRows = support.appendingPathComponent("delta_rows.py").path
    public static let flagdEval = support.appendingPathComponent("flagd_eval.py").path
    public static let schemaCheck = support.appendingPathComponent("schema_check.py").path
}

/// Another process holding an SQLite lock (`BEGIN IMMEDIATE` or `BEGIN EXCLUSIVE`)
/// until released, to test bounded lock waits.
public final class SQLiteLockHolder: @unchecked Sendable {
    let process = Process()

    public init(database: String, mode: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import sqlite3, sys, time\nc = sqlite3.connect(sys.argv[1], isolation_level=None)\nc.execute('BEGIN \(mode)')\nprint('locked', flush=True)\ntime.sleep(20)", database]
        let ready = Pipe()
        process.standardOutput = ready
        try process.run()
        _ = ready.fileHandleForReading.availableData // "locked": the lock is held
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// `webhook_receiver.py` on a random loopback port, appending each POST body to a
/// file; killed when released.
public final class WebhookReceiver: @unchecked Sendable {
    let process = Process()
    public let port = FreePort.next()
    public let file: URL
    public var url: String { "http://127.0.0.1:\(port)" }

    public init(writingTo file: URL, delay: Double = 0) throws {
        self.file = file
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Paths.support.appendingPathComponent("webhook_receiver.py").path, "\(port)", file.path, "\(delay)"]
        try process.run()
        // Ready when it answers at all (a GET is refused, but answered).
        for _ in 0..<50 where (try? Shell.run("curl", ["-s", "-o", "/dev/null", url + "/"]))?.code != 0 { usleep(100_000) }
    }

    /// Every body received so far, one per line.
    public var bodies: String { (try? String(contentsOf: file, encoding: .utf8)) ?? "" }

    deinit { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
}
