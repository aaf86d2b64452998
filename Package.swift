// swift-tools-version:6.0
import PackageDescription

// Layers point one way: C wrappers and the pure Model at the bottom, the
// commands at the top. Only `Commands` imports ArgumentParser.
let package = Package(
    name: "reconcile",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "reconcile", targets: ["reconcile"]),
        /// The fuzz targets as one library, for scripts/fuzz's libFuzzer harnesses.
        .library(name: "ReconcileFuzzing", type: .dynamic, targets: ["FuzzTargets"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.65.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.20.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.27.0"),
    ],
    targets: [
        // MARK: System libraries
        /// libgit2, found through pkg-config.
        .systemLibrary(name: "CGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
        /// libyaml, found through pkg-config (the system copy only: never Yams' vendored one).
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        /// SQLite, for the local catalog database.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        /// snappy, zstd and zlib, for Parquet pages.
        .systemLibrary(name: "CCompression", pkgConfig: "libzstd", providers: [.apt(["libsnappy-dev", "libzstd-dev", "zlib1g-dev"])]),
        /// mimalloc, linked into the executable so it replaces malloc for the whole process
        /// (the Swift runtime, libyaml, libgit2): validating 100,000 manifests spent an
        /// eighth of its time in glibc's malloc and free, and ran 8-12% faster with it.
        .systemLibrary(name: "CMimalloc", providers: [.apt(["libmimalloc-dev"])]),

        // MARK: Edges that wrap C
        /// Repositories, revisions, trees and blobs read straight from the object database.
        .target(name: "GitStore", dependencies: ["CGit2", "Runtime"]),
        /// YAML documents as nodes with 1-based source marks.
        .target(name: "YAMLSource", dependencies: ["CYAML"]),
        /// A small SQLite connection: statements, rows, transactions, bounded lock waits.
        .target(name: "SQLite", dependencies: ["CSQLite"]),
        /// A small Parquet reader (Thrift compact footer, PLAIN/RLE/dictionary, snappy/gzip/zstd,
        /// nested columns) for Delta checkpoints and data checks.
        .target(name: "Parquet", dependencies: ["CCompression", "Model"]),

        /// Process-level helpers for the edges: work spread over the cores, and the
        /// test-only fault injection (kill at the Nth durable step).
        .target(name: "Runtime"),

        // MARK: Pure core
        /// Resources, manifests, diagnostics, types, plans: values only, no I/O.
        .target(name: "Model"),
        /// Diff, order, plan, policy, and the apply loop over a `Target`; plan digests
        /// (swift-crypto's SHA-256).
        .target(name: "Engine", dependencies: ["Model", .product(name: "Crypto", package: "swift-crypto")]),
        /// Human, JSON and markdown renderings of plans and diagnostics.
        .target(name: "Rendering", dependencies: ["Model"]),

        /// Spark's JSON schema (Delta's schemaString, Unity Catalog's type_json) to and
        /// from the model's types.
        .target(name: "SparkTypes", dependencies: ["Model"]),

        // MARK: Loading and targets
        /// Decode and validate manifests, render them for an environment.
        .target(name: "Loading", dependencies: ["Model", "YAMLSource", "GitStore", "Runtime"]),
        /// The embedded local lakehouse: Delta tables on the file system.
        .target(name: "LocalTarget", dependencies: ["Model", "SQLite", "Runtime", "SparkTypes", "Parquet"]),
        /// Remote targets over REST (AsyncHTTPClient: pooled connections, deadlines,
        /// bounded bodies): the MLflow model registry and Databricks.
        .target(name: "RemoteTargets", dependencies: [
            "Model", "SparkTypes", "Runtime", .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        /// History, inventory, locks, the apply journal and holds, in an SQLite file.
        .target(name: "SQLiteState", dependencies: ["Model", "SQLite", "Runtime"]),
        /// The same in PostgreSQL (postgres-nio), shared by replicas and CI runners: schema
        /// migrations, and the apply lock as an advisory lock of the holder's connection.
        .target(name: "PostgresState", dependencies: [
            "Model", "Runtime", .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"), .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: Orchestration
        /// Reading a repository for an environment, planning, locking, applying,
        /// drift, pinning: what commands and the watch loop share.
        .target(name: "Workspace", dependencies: ["Model", "Engine", "Loading", "GitStore", "LocalTarget", "RemoteTargets", "SQLiteState", "PostgresState", "Runtime", "Rendering"]),
        /// The verbs, once: plan, apply, drift, heal, promote, rollback, release, unlock
        /// over one run context per environment (one target, one store), returning typed
        /// results. The command line and the watch loop are adapters over it.
        .target(name: "Service", dependencies: ["Model", "Engine", "Loading", "Rendering", "Workspace"]),

        // MARK: Flags and the server
        /// flagd's JsonLogic: evaluation of flags, fractional bucketing with murmur3. Pure.
        .target(name: "Flags", dependencies: ["Model"]),
        /// The watch loop (a state machine driven by one actor), status, metrics,
        /// notifications, the HTTP API and OFREP.
        .target(name: "Server", dependencies: [
            "Model", "Engine", "Loading", "GitStore", "LocalTarget", "SQLiteState", "Rendering", "Flags", "Workspace", "Service",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),

        /// Entry points that take untrusted bytes, for the fuzzers and the corpus regression test.
        .target(name: "FuzzTargets", dependencies: ["Loading", "Model", "Flags", "Server", "Parquet", "LocalTarget"]),

        // MARK: Commands
        /// The command line; the only user of ArgumentParser.
        .target(name: "Commands", dependencies: [
            "Model", "Loading", "Engine", "Rendering", "LocalTarget", "SQLiteState", "GitStore", "Server", "Workspace", "Service",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        /// Entry point.
        .executableTarget(name: "reconcile", dependencies: ["Commands", .target(name: "CMimalloc", condition: .when(platforms: [.linux]))]),

        // MARK: Tests
        /// Processes, temporary git repositories and paths shared by the tests.
        .target(name: "TestSupport", dependencies: ["Model"], path: "Tests/TestSupport", exclude: ["delta_inspect.py", "delta_rows.py", "flagd_eval.py", "schema_check.py", "ofrep_eval.py", "parquet_fixtures.py", "prom_parse.py", "webhook_receiver.py", "databricks_fake.py", "workflow_steps.py"]),
        .testTarget(name: "YAMLSourceTests", dependencies: ["YAMLSource"]),
        .testTarget(name: "ModelTests", dependencies: ["Model"]),
        .testTarget(name: "LoadingTests", dependencies: ["Loading", "Model", "YAMLSource", "GitStore", "TestSupport"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Model", "Rendering", "TestSupport"], exclude: ["Snapshots"]),
        .testTarget(name: "RemoteTargetsTests", dependencies: ["RemoteTargets", "Model", "Engine", "TestSupport", .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOCore", package: "swift-nio")], exclude: ["Snapshots"]),
        .testTarget(name: "ServerTests", dependencies: ["Server", "Model", "Engine", "TestSupport"]),
        .testTarget(name: "ServiceTests", dependencies: ["Service", "Model", "Engine", "Loading", "TestSupport"]),
        .testTarget(name: "FlagsTests", dependencies: ["Flags", "Model", "TestSupport"]),
        .testTarget(name: "SQLiteStateTests", dependencies: ["SQLiteState", "PostgresState", "Model", "TestSupport"]),
        .testTarget(name: "LocalTargetTests", dependencies: ["LocalTarget", "Model", "Engine", "SparkTypes", "Parquet", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["TestSupport"]),
        .testTarget(name: "ParquetTests", dependencies: ["Parquet", "Model", "TestSupport"]),
        /// Every input under Tests/Fuzz/corpus, run through its fuzz target.
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzTargets", "TestSupport"]),
    ]
)
