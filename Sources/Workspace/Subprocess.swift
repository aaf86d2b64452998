import Foundation

/// A helper program run with a deadline: its output goes to files (no pipe can fill and
/// stall it), and it is killed when the deadline passes.
enum Subprocess {
    struct Result {
        var code: Int32
        var stdout: String
        var stderr: String
    }

    enum Failure: Error {
        case notFound(String)
        case timedOut(String, Double)
        case cannotRun(String, String)
    }

    static func run(_ program: String, _ arguments: [String], stdin: URL? = nil, environment: [String: String] = [:],
                    in directory: URL, timeout: Double = 10) throws(Failure) -> Result {
        let executable = ["/usr/bin/" + program, "/bin/" + program, "/usr/local/bin/" + program].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let executable else { throw .notFound(program) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ["PATH": "/usr/bin:/bin", "LC_ALL": "C"]
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = directory.appendingPathComponent("\(program).out"), err = directory.appendingPathComponent("\(program).err")
        for file in [out, err] where !FileManager.default.createFile(atPath: file.path, contents: nil) {
            throw .cannotRun(program, "cannot create \(file.path) for its output")
        }
        do {
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            process.standardInput = try stdin.map { try FileHandle(forReadingFrom: $0) } ?? FileHandle.nullDevice
            try process.run()
        } catch {
            throw .cannotRun(program, error.localizedDescription)
        }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                process.waitUntilExit()
                throw .timedOut(program, timeout)
            }
            usleep(10_000)
        }
        let read = { (url: URL) in (try? String(contentsOf: url, encoding: .utf8)) ?? "" }
        return Result(code: process.terminationStatus, stdout: read(out), stderr: read(err))
    }
}
