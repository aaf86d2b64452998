import Foundation
import Model
import Runtime
import YAMLSource

/// Decodes `environments/<name>.yaml`.
struct EnvironmentDecoder {
    let file: String
    let sink: DiagnosticSink

    func decode(_ root: Node) -> Environment? { decodeWithOverlays(root)?.environment }

    func decodeWithOverlays(_ root: Node) -> (environment: Environment, overlays: [Overlay])? {
        guard let document = MappingReader(root, file: file, fieldPath: "", subject: "", sink: sink) else { return nil }
        document.rejectsNull = true
        ManifestDecoder(file: file, sink: sink).checkAPIVersion(document)
        if let kindNode = document.field("kind", required: true), let kind = document.stringValue(kindNode, "kind"), kind != "Environment" {
            document.error(kindNode, "environments/ holds only kind \"Environment\", not \"\(kind)\"; move this manifest under manifests/")
            return nil
        }
        guard let metadata = document.mapping("metadata", required: true),
              let nameNode = metadata.field("name", required: true),
              let name = metadata.stringValue(nameNode, "metadata.name") else { return nil }
        metadata.finish()
        let stem = String(file.split(separator: "/").last!.split(separator: ".").first!)
        if name != stem {
            document.error(nameNode, "environment \"\(name)\" is declared in \(file); name the file environments/\(name).yaml or the environment \"\(stem)\"")
        }
        let subject = "Environment/\(name): "
        guard let spec = MappingReader(document.field("spec", required: true) ?? Node(.mapping([]), mark: root.mark),
                                       file: file, fieldPath: "spec", subject: subject, sink: sink) else { return nil }
        spec.rejectsNull = true
        document.finish()

        let (target, routes) = decodeTargets(spec)
        let state = decodeState(spec, environment: name)
        var variables: [String: String] = [:]
        for (key, entry) in spec.stringMap("variables") {
            variables[key] = entry.value
        }
        let policy = spec.mapping("policy").map(decodePolicy) ?? Policy()
        let source = spec.mapping("source").map(decodeSource) ?? .current
        let promotion = spec.mapping("promotion").flatMap { decodePromotion($0, environment: name) }
        let notifications = decodeNotifications(spec, subject: subject)
        let auditWebhook = spec.mapping("audit").flatMap(decodeAudit)
        let windows = decodeWindows(spec, subject: subject)
        let overlays = decodeOverlays(spec)
        spec.finish()
        guard let target else { return nil }
        var environment = Environment(name: name, target: target, variables: variables, policy: policy, source: source, promotion: promotion,
                                      origin: SourceLocation(path: file, line: root.mark.line, column: root.mark.column))
        environment.notifications = notifications
        environment.auditWebhook = auditWebhook
        environment.windows = windows
        environment.routes = routes
        environment.statePath = state.path
        environment.statePostgres = state.postgres
        return (environment, overlays)
    }

    /// `spec.target`, or `spec.targets` (a default and routes by kind).
    private func decodeTargets(_ spec: MappingReader) -> (target: TargetSpec?, routes: [String: TargetSpec]) {
        var target: TargetSpec?
        var routes: [String: TargetSpec] = [:]
        let single = spec.node["target"], routed = spec.node["targets"]
        if single != nil && routed != nil {
            spec.error(routed!, "spec.target and spec.targets exclude each other; use spec.targets with a \"default\" key")
        } else if single == nil && routed == nil {
            spec.error(spec.node, "missing required field \"spec.target\" (or spec.targets)")
        }
        if let targetReader = spec.mapping("target") {
            target = decodeTarget(targetReader)
        }
        guard let targetsReader = spec.mapping("targets") else { return (target, routes) }
        for pair in targetsReader.node.pairs ?? [] {
            guard let key = pair.key.scalarText else {
                targetsReader.error(pair.key, "spec.targets keys must be strings")
                continue
            }
            guard Environment.routingKeys.contains(key) else {
                targetsReader.error(pair.key, "unknown target key \"\(key)\"\(Suggest.hint(for: key, in: Environment.routingKeys)); keys are \(Environment.routingKeys.joined(separator: ", ")) (catalogs and schemas follow tables)")
                continue
            }
            guard let reader = targetsReader.mapping(key), let decoded = decodeTarget(reader) else { continue }
            if let supported = decoded.supportedKinds, key == "default" ? decoded.typeName == "mlflow" : !supported.contains(where: { $0.routingKey == key }) {
                reader.error(pair.value, "a \(decoded.typeName) target holds only \(supported.map(\.plural).sorted().joined(separator: ", ")); route them with spec.targets.\(supported.first!.routingKey)")
                continue
            }
            if key == "default" { target = decoded } else { routes[key] = decoded }
        }
        if routed?["default"] == nil {
            targetsReader.error(targetsReader.node, "spec.targets needs a \"default\" target for the kinds not routed elsewhere")
        }
        return (target, routes)
    }

    /// `spec.state`: a `path` (an SQLite file) or `postgres` (a reference to a
    /// PostgreSQL URL), exactly one.
    private func decodeState(_ spec: MappingReader, environment name: String) -> (path: String?, postgres: String?) {
        guard let stateReader = spec.mapping("state") else { return (nil, nil) }
        defer { stateReader.finish() }
        let pathNode = stateReader.field("path"), postgresNode = stateReader.field("postgres")
        if pathNode == nil, postgresNode == nil {
            stateReader.error(stateReader.node, "spec.state needs path (an SQLite file) or postgres (a reference to a PostgreSQL URL)")
            return (nil, nil)
        }
        if let pathNode, postgresNode != nil {
            stateReader.error(pathNode, "spec.state takes path or postgres, not both: one store holds an environment's history")
            return (nil, nil)
        }
        if let postgresNode {
            guard let value = stateReader.stringValue(postgresNode, "spec.state.postgres") else { return (nil, nil) }
            guard SecretReference.isReference(value) else {
                stateReader.error(postgresNode, "spec.state.postgres must be a reference, \"${env:NAME}\" or \"${file:PATH}\", to the URL (postgres://user:password@host/database), so its password never sits in git")
                return (nil, nil)
            }
            return (nil, value)
        }
        guard let pathNode, let path = stateReader.stringValue(pathNode, "spec.state.path") else { return (nil, nil) }
        if let why = Self.unsafeRoot(path) {
            stateReader.error(pathNode, "spec.state.path \"\(path)\" cannot hold the state store: \(why); name a file such as .reconcile/\(name).db")
            return (nil, nil)
        }
        return (path, nil)
    }

    private func decodePolicy(_ reader: MappingReader) -> Policy {
        var policy = Policy()
        if let node = reader.field("destructive"), let text = reader.stringValue(node, "spec.policy.destructive") {
            if let value = Policy.Destructive(rawValue: text) {
                policy.destructive = value
            } else {
                reader.error(node, "spec.policy.destructive must be \"allow\" or \"deny\", not \"\(text)\"")
            }
        }
        policy.prune = reader.bool("prune") ?? policy.prune
        policy.allowWorktree = reader.bool("allowWorktree") ?? policy.allowWorktree
        policy.autoSync = reader.bool("autoSync") ?? policy.autoSync
        policy.confirm = reader.bool("confirm") ?? policy.confirm
        if let signed = reader.mapping("requireSignedCommits") {
            signed.rejectsNull = true
            let signers = signed.field("allowedSigners").flatMap { signed.stringValue($0, "spec.policy.requireSignedCommits.allowedSigners") }
            let keyring = signed.field("gpgKeyring").flatMap { signed.stringValue($0, "spec.policy.requireSignedCommits.gpgKeyring") }
            if signers == nil && keyring == nil {
                signed.error(signed.node, "spec.policy.requireSignedCommits needs allowedSigners (an SSH allowed-signers file) or gpgKeyring (a GPG keyring), or both")
            }
            for (node, path) in [(signed.node["allowedSigners"], signers), (signed.node["gpgKeyring"], keyring)] where path?.isEmpty == true {
                if let node { signed.error(node, "spec.policy.requireSignedCommits: a file path cannot be empty") }
            }
            signed.finish()
            policy.signedCommits = SignedCommits(allowedSigners: signers, gpgKeyring: keyring)
        }
        if let node = reader.field("drift"), let text = reader.stringValue(node, "spec.policy.drift") {
            if let value = Policy.Drift(rawValue: text) {
                policy.drift = value
            } else {
                reader.error(node, "spec.policy.drift must be \"report\" or \"heal\", not \"\(text)\"")
            }
        }
        reader.finish()
        return policy
    }

    private func decodeSource(_ reader: MappingReader) -> SourceSpec {
        let branch = reader.string("branch")
        let revision = reader.string("revision")
        reader.finish()
        switch (branch, revision) {
        case (let branch?, nil): return .branch(branch)
        case (nil, let revision?): return .revision(revision)
        case (nil, nil): return .current
        case (_?, _?):
            reader.error(reader.node, "spec.source takes a branch or a revision, not both")
            return .current
        }
    }

    /// `spec.windows: [{kind, schedule, duration, timezone}]`.
    private func decodeWindows(_ spec: MappingReader, subject: String) -> [ChangeWindow] {
        var windows: [ChangeWindow] = []
        for (index, item) in (spec.sequence("windows") ?? []).enumerated() {
            guard let entry = MappingReader(item, file: file, item: index, of: "spec.windows", subject: subject, sink: sink) else { continue }
            entry.rejectsNull = true
            defer { entry.finish() }
            let kindNode = entry.field("kind", required: true), scheduleNode = entry.field("schedule", required: true)
            let durationNode = entry.field("duration", required: true), timezoneNode = entry.field("timezone")
            var kind: ChangeWindow.Kind?
            if let kindNode, let text = entry.stringValue(kindNode, entry.path("kind")) {
                kind = ChangeWindow.Kind(rawValue: text)
                if kind == nil { entry.error(kindNode, "\(entry.path("kind")) must be allow or deny, not \"\(text)\"") }
            }
            var cron: CronExpression?
            let schedule = scheduleNode.flatMap { entry.stringValue($0, entry.path("schedule")) }
            if let schedule, let scheduleNode {
                do throws(CronExpression.ParseError) { cron = try CronExpression(parsing: schedule) } catch {
                    entry.error(scheduleNode, "\(entry.path("schedule")): \(error.message)")
                }
            }
            var duration: Double?
            if let durationNode, let text = entry.stringValue(durationNode, entry.path("duration")) {
                duration = Promotion.duration(text).flatMap { $0 > 0 ? $0 : nil }
                if duration == nil { entry.error(durationNode, "\(entry.path("duration")) \"\(text)\" is not a positive duration; write e.g. 30m, 2h or 1d12h") }
            }
            let timezone = timezoneNode.flatMap { entry.stringValue($0, entry.path("timezone")) } ?? "UTC"
            if let timezoneNode, TimeZone(identifier: timezone) == nil {
                entry.error(timezoneNode, "\(entry.path("timezone")) \"\(timezone)\" is not a time zone; use an IANA name such as \"UTC\" or \"Europe/Berlin\"")
            }
            if let kind, let schedule, let cron, let duration, TimeZone(identifier: timezone) != nil {
                windows.append(ChangeWindow(kind: kind, schedule: schedule, cron: cron, duration: duration, timezone: timezone,
                                            origin: SourceLocation(path: file, line: item.mark.line, column: item.mark.column)))
            }
        }
        return windows
    }

    /// `spec.audit: {webhook: URL}`.
    private func decodeAudit(_ audit: MappingReader) -> String? {
        defer { audit.finish() }
        audit.rejectsNull = true
        guard let node = audit.field("webhook", required: true), let url = audit.stringValue(node, "spec.audit.webhook") else { return nil }
        guard Self.isWebhook(url) else {
            audit.error(node, "spec.audit.webhook must be an https:// URL (http:// only for loopback)")
            return nil
        }
        return url
    }

    static func isWebhook(_ url: String) -> Bool {
        url.hasPrefix("https://") || url.hasPrefix("http://127.0.0.1") || url.hasPrefix("http://localhost") || url.hasPrefix("http://[::1]")
    }

    private func decodeNotifications(_ spec: MappingReader, subject: String) -> [String] {
        var notifications: [String] = []
        for (index, item) in (spec.sequence("notifications") ?? []).enumerated() {
            guard let entry = MappingReader(item, file: file, item: index, of: "spec.notifications", subject: subject, sink: sink) else { continue }
            entry.rejectsNull = true
            if let urlNode = entry.field("url", required: true), let url = entry.stringValue(urlNode, entry.path("url")) {
                if Self.isWebhook(url) {
                    notifications.append(url)
                } else {
                    entry.error(urlNode, "\(entry.path("url")) must be an https:// URL (http:// only for loopback)")
                }
            }
            entry.finish()
        }
        return notifications
    }

    private func decodePromotion(_ reader: MappingReader, environment: String) -> Promotion? {
        defer { reader.finish() }
        guard let fromNode = reader.field("from", required: true), let from = reader.stringValue(fromNode, "spec.promotion.from") else { return nil }
        if from == environment { reader.error(fromNode, "an environment cannot promote from itself") }
        var promotion = Promotion(from: from)
        if let node = reader.field("soak") {
            let text = node.scalarText ?? ""
            if let seconds = Promotion.duration(text) {
                promotion.soak = seconds
            } else {
                reader.error(node, "spec.promotion.soak \"\(text)\" is not a duration; write e.g. 30m, 1h or 1h30m")
            }
        }
        if let gates = reader.field("requires") {
            promotion.requires = []
            guard let items = gates.items else {
                reader.error(gates, "spec.promotion.requires must be a list of gates (applied, no-drift), not \(gates.shapeName)")
                return nil
            }
            for item in items {
                guard let text = item.scalarText, let gate = Promotion.Gate(rawValue: text) else {
                    reader.error(item, "unknown promotion gate \"\(item.scalarText ?? "")\"; gates are applied and no-drift")
                    continue
                }
                promotion.requires.insert(gate)
            }
        }
        return promotion
    }

    /// Why a path written in an environment file cannot be a root reconcile writes to:
    /// empty, or (when absolute) a system directory. Relative paths are checked again
    /// once resolved against the project directory.
    static func unsafeRoot(_ path: String) -> String? {
        if path.allSatisfy({ $0 == " " }) { return "it is empty" }
        guard path.hasPrefix("/") else { return nil }
        return SafePath.refusal(SafePath.absolute(path, base: "/"))
    }

    static func isAllowedURL(_ url: String) -> Bool {
        if url.hasPrefix("https://") { return url.count > 8 }
        guard url.hasPrefix("http://") else { return false }
        let host = url.dropFirst(7).prefix { $0 != "/" && $0 != ":" || $0 == "[" }
        return ["127.0.0.1", "localhost", "[::1]"].contains { url.dropFirst(7).hasPrefix($0) } || host == "127.0.0.1"
    }

    private func decodeTarget(_ reader: MappingReader) -> TargetSpec? {
        defer { reader.finish() }
        guard let typeNode = reader.field("type", required: true), let type = reader.stringValue(typeNode, "spec.target.type") else { return nil }
        switch type {
        case "local":
            guard let pathNode = reader.field("path", required: true), let path = reader.stringValue(pathNode, reader.path("path")) else { return nil }
            if let why = Self.unsafeRoot(path) {
                reader.error(pathNode, "\(reader.path("path")) \"\(path)\" cannot be a lakehouse root: \(why); use a directory of its own, e.g. .lakehouse/\(file.split(separator: "/").last.map { String($0.split(separator: ".").first ?? "") } ?? "dev")")
                return nil
            }
            return .local(path: path)
        case "mlflow":
            guard let urlNode = reader.field("url", required: true), let url = reader.stringValue(urlNode, reader.path("url")) else { return nil }
            guard Self.isAllowedURL(url) else {
                reader.error(urlNode, "\(reader.path("url")) must be https:// (http:// is accepted for loopback hosts only), not \"\(url)\"")
                return nil
            }
            return .mlflow(url: url.hasSuffix("/") ? String(url.dropLast()) : url)
        case "databricks":
            guard let hostNode = reader.field("host", required: true), let host = reader.stringValue(hostNode, reader.path("host")),
                  let warehouse = reader.string("warehouse", required: true), let authReader = reader.mapping("auth", required: true) else { return nil }
            guard Self.isAllowedURL(host) else {
                reader.error(hostNode, "\(reader.path("host")) must be https:// (http:// is accepted for loopback hosts only), not \"\(host)\"")
                return nil
            }
            defer { authReader.finish() }
            var files = "/Workspace/Shared/reconcile"
            if let filesNode = reader.field("files"), let text = reader.stringValue(filesNode, reader.path("files")) {
                if text.hasPrefix("/Workspace/") || text.hasPrefix("/Repos/") || text.hasPrefix("/Users/") {
                    files = text.hasSuffix("/") ? String(text.dropLast()) : text
                } else {
                    reader.error(filesNode, "\(reader.path("files")) must be an absolute workspace path such as \"/Workspace/Repos/data/lakehouse\", not \"\(text)\"")
                }
            }
            func secret(_ key: String) -> String? {
                guard let node = authReader.field(key), let value = authReader.stringValue(node, authReader.path(key)) else { return nil }
                guard SecretReference.isReference(value) else {
                    authReader.error(node, "\(authReader.path(key)) must be a reference, \"${env:NAME}\" or \"${file:PATH}\", so the secret never sits in git")
                    return nil
                }
                return value
            }
            let auth: DatabricksAuth
            if let token = secret("token") {
                auth = .token(token)
            } else if let id = secret("clientId"), let clientSecret = secret("clientSecret") {
                auth = .oauth(clientId: id, clientSecret: clientSecret)
            } else {
                authReader.error(authReader.node, "\(authReader.path("")) needs token, or clientId and clientSecret (OAuth machine-to-machine)")
                return nil
            }
            return .databricks(host: host.hasSuffix("/") ? String(host.dropLast()) : host, warehouse: warehouse, auth: auth, files: files)
        default:
            reader.error(typeNode, "unknown target type \"\(type)\"\(Suggest.hint(for: type, in: ["local", "mlflow", "databricks"])); this version supports \"local\", \"mlflow\" and \"databricks\"")
            return nil
        }
    }
}
