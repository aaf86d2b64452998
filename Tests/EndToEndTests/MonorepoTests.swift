import Foundation
import Testing
import TestSupport

/// Several projects in one repository, each with its own manifests/ and
/// environments/ in a directory: chosen by --path, or by where the command runs.
@Suite struct MonorepoTests {
    func monorepo() throws -> GitFixture {
        let repo = try GitFixture()
        for (team, catalog) in [("teams/sales", "sales"), ("teams/ml", "ml")] {
            try repo.write("\(team)/environments/dev.yaml", """
            apiVersion: reconcile/v1
            kind: Environment
            metadata: { name: dev }
            spec:
              target: { type: local, path: .lakehouse/dev }
              policy: { destructive: allow }
            """)
            try repo.write("\(team)/environments/prod.yaml", """
            apiVersion: reconcile/v1
            kind: Environment
            metadata: { name: prod }
            spec:
              target: { type: local, path: .lakehouse/prod }
              promotion: { from: dev }
            """)
            try repo.write("\(team)/manifests/all.yaml", """
            apiVersion: reconcile/v1
            kind: Catalog
            metadata: { name: \(catalog) }
            ---
            apiVersion: reconcile/v1
            kind: Schema
            metadata: { name: \(catalog).raw }
            ---
            apiVersion: reconcile/v1
            kind: Table
            metadata: { name: \(catalog).raw.events }
            spec: { columns: [{ name: id, type: bigint }] }
            ---
            apiVersion: reconcile/v1
            kind: Pipeline
            metadata: { name: \(catalog)-events }
            spec: { catalog: \(catalog), target: raw, libraries: [pipelines/events.sql], produces: [\(catalog).raw.events] }
            """)
            try repo.write("\(team)/pipelines/events.sql", "SELECT 1")
        }
        try repo.write(".gitignore", ".lakehouse/\n")
        try repo.commit("two projects")
        return repo
    }

    @Test func theProjectIsTheDirectoryTheCommandRunsInOrPath() throws {
        let repo = try monorepo()
        let sales = repo.url.appendingPathComponent("teams/sales")
        // From inside a project (even a subdirectory of it): that project.
        let inside = try Shell.run(Paths.reconcile, ["plan", "--env", "dev"], in: sales.appendingPathComponent("manifests"))
        #expect(inside.code == 2, "\(inside.output)")
        #expect(inside.stdout.contains("+ Table/sales.raw.events") && !inside.stdout.contains("ml.raw"), "\(inside.stdout)")
        // From the root with --path: the other project; library paths are the project's.
        let other = try Shell.run(Paths.reconcile, ["apply", "--env", "dev", "--path", "teams/ml"], in: repo.url)
        #expect(other.code == 0, "\(other.output)")
        // target.path is the project's: teams/ml/.lakehouse/dev, wherever the command runs.
        #expect(FileManager.default.fileExists(atPath: repo.url.appendingPathComponent("teams/ml/.lakehouse/dev/ml/raw/events/_delta_log").path))
        #expect(!FileManager.default.fileExists(atPath: repo.url.appendingPathComponent(".lakehouse").path))
        // From the root without --path: no environments there.
        let root = try Shell.run(Paths.reconcile, ["validate"], in: repo.url)
        #expect(root.code == 1)
        #expect(root.stderr.contains("no environments/*.yaml found"), "\(root.output)")
        // Errors name files by their path in the repository.
        try repo.write("teams/sales/manifests/all.yaml", try String(contentsOf: sales.appendingPathComponent("manifests/all.yaml"), encoding: .utf8) + "---\nkind: Tabel\n")
        try repo.commit("typo")
        let broken = try Shell.run(Paths.reconcile, ["validate", "--path", "teams/sales"], in: repo.url)
        #expect(broken.stderr.contains("teams/sales/manifests/all.yaml:"), "\(broken.output)")
    }

    @Test func promotionPinsTheProjectsOwnEnvironmentFile() throws {
        let repo = try monorepo()
        let sales = repo.url.appendingPathComponent("teams/sales")
        #expect(try Shell.run(Paths.reconcile, ["apply", "--env", "dev"], in: sales).code == 0)
        let promoted = try Shell.run(Paths.reconcile, ["promote", "dev", "prod"], in: sales)
        #expect(promoted.code == 0, "\(promoted.output)")
        let changed = try repo.git("show", "--name-only", "--format=", "HEAD").split(separator: "\n")
        #expect(changed == ["teams/sales/environments/prod.yaml"])
        #expect(try String(contentsOf: sales.appendingPathComponent("environments/prod.yaml"), encoding: .utf8).contains("revision:"))
        #expect(try Shell.run(Paths.reconcile, ["apply", "--env", "prod"], in: sales).code == 0)
        #expect(try repo.git("status", "--porcelain").isEmpty, "git status stays clean")
    }

    @Test func aDirectoryWithOtherEnvironmentFilesIsNotAProject() throws {
        let project = try Project()
        try project.write("terraform/environments/dev.tfvars", "region = \"eu-west-1\"\n")
        try project.commit("terraform")
        let result = try Shell.run(Paths.reconcile, ["validate"], in: project.url.appendingPathComponent("terraform/environments"))
        #expect(result.code == 0, "the repository root is the project: \(result.output)")
        #expect(result.stdout.contains("dev:"), "\(result.output)")
    }
}
