import ArgumentParser
import Engine
import Foundation
import Loading
import Model
import Rendering
import Service
import Workspace

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Write manifests for what exists in an environment's targets and is not declared.",
        discussion: """
        One file per resource under --out (default manifests/imported), in the layout \
        <kind>/<name>.yaml, so that a plan right after committing them changes nothing: the \
        resources are adopted by the next apply. Existing files are never overwritten. Exit 0 \
        written (or nothing to import), 1 error.
        """
    )

    @OptionGroup var options: CommonOptions

    @Option(name: .long, help: "Import only what matches: a kind (Table), a name glob (main.silver.*), Kind/glob, or label=value.")
    var select: [String] = []

    @Option(name: .long, help: "The directory to write into, relative to the project (default: manifests/imported).")
    var out: String = "manifests/imported"

    func validate() throws {
        guard options.env != nil else { throw ValidationError("import needs --env NAME") }
        guard !out.hasPrefix("/"), !out.split(separator: "/").contains("..") else {
            throw ValidationError("--out \"\(out)\" must be a directory inside the project (relative, without ..)")
        }
    }

    func run() async throws {
        try await runReporting(options) { context async throws(ReconcileError) in
            guard let workdir = context.repository.workdir else {
                throw ReconcileError("import writes files into the working tree, and this repository has none (a bare or remote repository); run it in a clone", kind: .source)
            }
            let selection = try Selection(select)
            let run = try Service(context).run(options.env!)  // every resource observed; --select filters what is written
            let state = try run.desired()
            let (observed, _) = try await run.observe(state, everything: true)
            let declared = Set(state.resources.map(\.id))
            let chosen = selection.ids(in: observed)
            let found = observed.filter { !declared.contains($0.id) && chosen.contains($0.id) }.sorted { $0.id.description < $1.id.description }
            guard !found.isEmpty else {
                Console.out("Nothing to import: everything in \(run.environment.name)'s targets\(select.isEmpty ? "" : " that matches") is declared.\n")
                return 0
            }
            let writer = ManifestWriter(variables: run.environment.variables)
            let base = URL(fileURLWithPath: workdir).appendingPathComponent(context.project).appendingPathComponent(out)
            var written: [String] = []
            for resource in found {
                let relative = ManifestWriter.fileName(resource.id)
                let url = base.appendingPathComponent(relative)
                guard !FileManager.default.fileExists(atPath: url.path) else {
                    throw ReconcileError("\(out)/\(relative) already exists; nothing more was written (\(written.count) file\(written.count == 1 ? "" : "s") before it). Move it away or pass another --out", kind: .invalid)
                }
                do {
                    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try Data(writer.manifest(resource).utf8).write(to: url, options: .withoutOverwriting)
                } catch {
                    throw ReconcileError("cannot write \(out)/\(relative): \(error.localizedDescription)", kind: .source)
                }
                written.append("\(out)/\(relative)")
            }
            Console.out("Wrote \(written.count) manifest\(written.count == 1 ? "" : "s") for what \(run.environment.name) holds undeclared:\n"
                        + written.map { "  \($0)\n" }.joined()
                        + "Review and commit them: the next plan adopts them and changes nothing in the target.\n")
            return 0
        }
    }
}
