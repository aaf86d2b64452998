import Foundation
import Testing
import TestSupport

/// The docs cannot fall behind the code: every command and option in `--help`, every
/// field in `reconcile schema`, and every error message in the source must be documented.
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
        let commands = Self.subcommands(root)
        #expect(commands.count >= 12, "\(commands)")
        for command in commands {
            guard let text = section(docs, { $0 == "reconcile \(command)" }) else {
                Issue.record("docs/commands.md has no section \"## reconcile \(command)\"")
                continue
            }
            let help = try Shell.run(Paths.reconcile, [command, "--help"]).stdout
            // A command with subcommands (preview create, destroy) documents theirs in its section.
            let nested = help.contains("SUBCOMMANDS:") ? Self.subcommands(help) : []
            for sub in nested where !text.contains("`\(sub)`") {
                Issue.record("docs/commands.md, reconcile \(command): its subcommand \(sub) is not documented")
            }
            for words in [[command]] + nested.map({ [command, $0] }) {
                let help = try Shell.run(Paths.reconcile, words + ["--help"]).stdout
                let options = help.split(separator: "\n").compactMap { line -> String? in
                    let trimmed = line.trimmingCharacters(in: .whitespaces)
                    guard trimmed.hasPrefix("--") else { return nil }
                    return String(trimmed.prefix { $0 != " " && $0 != "," })
                }.filter { $0 != "--version" && $0 != "--help" }
                for option in options where !text.contains("`\(option)") {
                    Issue.record("docs/commands.md, reconcile \(words.joined(separator: " ")): \(option) is not documented")
                }
            }
        }
    }

    /// The subcommands a help text lists: a command's line starts with two spaces, its
    /// wrapped description with more.
    static func subcommands(_ help: String) -> [String] {
        help.components(separatedBy: "SUBCOMMANDS:").last!.split(separator: "\n")
            .filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
            .compactMap { $0.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) }
            .filter { $0 != "See" }
    }

    /// The name rules the decoder enforces are the ones the schema describes and the
    /// manifest docs state (#14: they had drifted apart).
    @Test func nameRulesAgreeAcrossSchemaAndDocs() throws {
        let docs = try read("docs/manifests.md").replacingOccurrences(of: "\n", with: " ")
        let schema = try Shell.run(Paths.reconcile, ["schema"]).stdout
        for rule in ["letters, digits and underscores, starting with a letter or underscore, at most 255 characters",
                     "starting with a letter or digit, at most 255 characters", "1 to 255 characters without"] {
            #expect(schema.contains(rule), "the schema states \(rule)")
            #expect(docs.contains(rule), "docs/manifests.md states \(rule)")
        }
        // And the decoder says the same when a name breaks them.
        let repo = try GitFixture()
        try repo.write("environments/dev.yaml", "apiVersion: reconcile/v1\nkind: Environment\nmetadata: { name: dev }\nspec: { target: { type: local, path: .lakehouse/dev } }\n")
        try repo.write("manifests/m.yaml", "apiVersion: reconcile/v1\nkind: Catalog\nmetadata: { name: 1main }\n---\napiVersion: reconcile/v1\nkind: Pipeline\nmetadata: { name: \"-orders\" }\nspec: { catalog: c, target: s, libraries: [] }\n")
        try repo.commit("bad names")
        let result = try Shell.run(Paths.reconcile, ["validate"], in: repo.url)
        #expect(result.code == 1)
        #expect(result.stderr.contains("invalid identifier \"1main\" in metadata.name; use letters, digits and underscores, starting with a letter or underscore, at most 255 characters"), "\(result.output)")
        #expect(result.stderr.contains("invalid name \"-orders\"; use letters, digits, \"-\", \"_\" and \".\", starting with a letter or digit, at most 255 characters"), "\(result.output)")
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
        #expect(checked == 9, "every kind and Environment")
    }

    /// The literal text of every message the code can print: string literals given to
    /// `.error(`, `ReconcileError(`, `TargetError(`, `…Failure(`, `ValidationError(`,
    /// `Notice(`, `message:` and `refusal =`, split at interpolations.
    static func messageParts(in source: String) -> [String] {
        let markers = [".error(", "ReconcileError(", "TargetError(", "Failure(", "ValidationError(", ".warning(", "refusal = ", "message: ", "Notice("]
        var parts: [String] = []
        for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
            for marker in markers {
                var searchFrom = line.startIndex
                while let found = line.range(of: marker, range: searchFrom..<line.endIndex) {
                    searchFrom = found.upperBound
                    guard let quote = line[found.upperBound...].firstIndex(of: "\"") else { break }
                    var index = line.index(after: quote)
                    var current = "", depth = 0
                    var literal: [String] = []
                    while index < line.endIndex {
                        let character = line[index]
                        if depth > 0 {
                            if character == "(" { depth += 1 } else if character == ")" { depth -= 1 }
                        } else if character == "\\" {
                            let next = line.index(after: index)
                            guard next < line.endIndex else { break }
                            if line[next] == "(" { literal.append(current); current = ""; depth = 1 } else { current.append(line[next] == "n" ? " " : line[next]) }
                            index = next
                        } else if character == "\"" {
                            break
                        } else {
                            current.append(character)
                        }
                        index = line.index(after: index)
                    }
                    literal.append(current)
                    parts += literal
                }
            }
        }
        let trim = CharacterSet(charactersIn: " \"'():;,.")
        return parts.map { $0.trimmingCharacters(in: trim) }.filter { $0.count >= 12 && $0.contains(" ") }
    }

    @Test func everyErrorMessageIsInTroubleshooting() throws {
        let docs = try read("docs/troubleshooting.md")
        let sources = Paths.packageRoot.appendingPathComponent("Sources")
        let files = try #require(FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)).compactMap { $0 as? URL }
            .filter { $0.pathExtension == "swift" }
        var checked = 0
        for file in files {
            for part in Self.messageParts(in: try String(contentsOf: file, encoding: .utf8)) {
                checked += 1
                if !docs.contains(part) {
                    Issue.record("docs/troubleshooting.md lacks the message text \"\(part)\" (\(file.lastPathComponent))")
                }
            }
        }
        #expect(checked > 150, "the extraction found \(checked) message parts")
    }

    @Test func messageExtractionSplitsAtInterpolations() {
        let parts = Self.messageParts(in: #"throw TargetError(id, "the table moved from version \(a.b(c)) to \(d) since the plan was made; run plan again")"#)
        #expect(parts == ["the table moved from version", "since the plan was made; run plan again"])
    }
}
