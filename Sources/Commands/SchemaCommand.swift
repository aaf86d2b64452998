import Workspace
import ArgumentParser
import Loading
import Rendering

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema of manifests and environment files, for editors and CI.",
        discussion: """
        Save it and point the YAML language server at it, e.g. with a first line
        `# yaml-language-server: $schema=./reconcile.schema.json` in each manifest.
        """
    )

    func run() throws {
        Console.out(JSONText.encode(ManifestSchema.document))
    }
}
