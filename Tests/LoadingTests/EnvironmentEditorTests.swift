import Testing
import Model
@testable import Loading

@Suite struct EnvironmentEditorTests {
    let sha = "0123456789abcdef0123456789abcdef01234567"

    @Test func replacesAFlowSource() throws {
        let text = "apiVersion: reconcile/v1\nkind: Environment\nmetadata: { name: prod }\nspec:\n  target: { type: local, path: p }\n  source: { branch: main }  # tracks main\n  variables: { a: b }\n"
        let edited = try EnvironmentEditor.pin(text, path: "environments/prod.yaml", revision: sha)
        #expect(edited == text.replacingOccurrences(of: "{ branch: main }", with: "{ revision: \(sha) }"))
    }

    @Test func replacesABlockSourceKeepingWhatFollows() throws {
        let text = "apiVersion: reconcile/v1\nkind: Environment\nmetadata:\n  name: prod\nspec:\n  source:\n    revision: 1111111\n  # the target\n  target: { type: local, path: p }\n"
        let edited = try EnvironmentEditor.pin(text, path: "environments/prod.yaml", revision: sha)
        #expect(edited == "apiVersion: reconcile/v1\nkind: Environment\nmetadata:\n  name: prod\nspec:\n  source: { revision: \(sha) }\n  # the target\n  target: { type: local, path: p }\n")
    }

    @Test func insertsASourceWhenThereIsNone() throws {
        let text = "# prod\napiVersion: reconcile/v1\nkind: Environment\nmetadata: { name: prod }\nspec:\n  target: { type: local, path: p }\n  policy: { destructive: deny }\n"
        let edited = try EnvironmentEditor.pin(text, path: "environments/prod.yaml", revision: sha)
        #expect(edited == "# prod\napiVersion: reconcile/v1\nkind: Environment\nmetadata: { name: prod }\nspec:\n  source: { revision: \(sha) }\n  target: { type: local, path: p }\n  policy: { destructive: deny }\n")
    }

    @Test func aFlowSpecCannotBePinned() {
        #expect(throws: EnvironmentEditor.Failure.self) {
            try EnvironmentEditor.pin("apiVersion: reconcile/v1\nkind: Environment\nmetadata: { name: prod }\nspec: { target: { type: local, path: p } }\n", path: "environments/prod.yaml", revision: sha)
        }
    }

    @Test func releaseRestoresABranchOrRemovesTheSource() throws {
        let pinned = "apiVersion: reconcile/v1\nkind: Environment\nmetadata: { name: prod }\nspec:\n  source: { revision: \(sha) }\n  target: { type: local, path: p }\n"
        let branch = try EnvironmentEditor.setSource(pinned, path: "environments/prod.yaml", to: .branch("main"))
        #expect(branch == pinned.replacingOccurrences(of: "{ revision: \(sha) }", with: "{ branch: main }"))
        let current = try EnvironmentEditor.setSource(pinned, path: "environments/prod.yaml", to: .current)
        #expect(current == "apiVersion: reconcile/v1\nkind: Environment\nmetadata: { name: prod }\nspec:\n  target: { type: local, path: p }\n")
    }
}
