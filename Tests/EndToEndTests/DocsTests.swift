import Foundation
import Testing
import TestSupport

/// The docs cannot fall behind the code: every command and option in `--help`, and
/// every field in `reconcile schema`, must be documented.
@Suite struct DocsTests {
    func read(_ path: String) throws -> String {
        try String(contentsOf: Paths.packageRoot.appendingPathComponent(path), encoding: .utf8)
    }

    /// The text under `## heading` (up to the next `## `).
    func section(_ text: String, _ heading: (String) -> Bool) -> String? {
        let parts = text.components(separatedBy: "\n## ")
        return parts.dropFirst().first { heading(String($0.prefix { $0 != "\n" })) }
    }

    @Test func everyCommandAndOptionIsDocumented() throws {
        let docs = try read("docs/commands.md")
        let root = try Shell.run(Paths.reconcile, ["--help"]).stdout
        // A command's line starts with two spaces; its wrapped description with more.
        let commands = root.components(separatedBy: "SUBCOMMANDS:").last!.split(separator: "\n")
            .filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
            .compactMap { $0.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) }
            .filter { $0 != "See" }
        #expect(commands.count >= 12, "\(commands)")
        for command in commands {
            guard let text = section(docs, { $0 == "reconcile \(command)" }) else {
                Issue.record("docs/commands.md has no section \"## reconcile \(command)\"")
                continue
            }
            let help = try Shell.run(Paths.reconcile, [command, "--help"]).stdout
            let options = help.split(separator: "\n").compactMap { line -> String? in
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard trimmed.hasPrefix("--") else { return nil }
                return String(trimmed.prefix { $0 != " " && $0 != "," })
            }.filter { $0 != "--version" && $0 != "--help" }
            for option in options where !text.contains("`\(option)") {
                Issue.record("docs/commands.md, reconcile \(command): \(option) is not documented")
            }
        }
    }

    @Test func everyManifestFieldIsDocumented() throws {
        let docs = try read("docs/manifests.md")
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(Shell.run(Paths.reconcile, ["schema"]).stdout.utf8)) as? [String: Any])
        let definitions = try #require(schema["$defs"] as? [String: [String: Any]])
        var checked = 0
        for (name, definition) in definitions where name.hasSuffix("Spec") {
            let kind = String(name.dropLast(4))
            guard let text = section(docs, { $0.split(whereSeparator: { ", (".contains($0) }).contains { $0 == Substring(kind) } }) else {
                Issue.record("docs/manifests.md has no section for \(kind)")
                continue
            }
            for field in (definition["properties"] as? [String: Any] ?? [:]).keys where !text.contains("`\(field)") {
                Issue.record("docs/manifests.md, \(kind): spec.\(field) is not documented")
            }
            checked += 1
        }
        #expect(checked == 8, "every kind and Environment")
    }
}
