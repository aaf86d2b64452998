import Foundation
import Logging

/// Log lines on standard error, as text or as one JSON object per line, with the
/// metadata (environment, revision, resource) on every line.
public struct ReconcileLogHandler: LogHandler {
    public enum Format: String, Sendable, CaseIterable { case text, json }

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let format: Format

    public init(label: String, format: Format) {
        self.label = label
        self.format = format
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let time = ISO8601DateFormatter().string(from: Date())
        let line: String
        switch format {
        case .json:
            var object: [String: Any] = ["time": time, "level": event.level.rawValue, "message": "\(event.message)", "logger": label]
            for (key, value) in merged { object[key] = "\(value)" }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            line = String(decoding: data, as: UTF8.self)
        case .text:
            let fields = merged.keys.sorted().map { "\($0)=\(merged[$0]!)" }.joined(separator: " ")
            line = "\(time) \(event.level.rawValue) \(event.message)\(fields.isEmpty ? "" : " " + fields)"
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
