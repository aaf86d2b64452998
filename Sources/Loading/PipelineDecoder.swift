import Foundation
import Model
import YAMLSource

/// Decodes a `Pipeline` spec. The tables and library files it names are checked
/// once every manifest is read (`Validation`).
struct PipelineDecoder {
    let reader: MappingReader
    let references: ReferenceCollector
    let from: ResourceID

    func decode() -> PipelineSpec? {
        let catalog = identifier("catalog")
        let target = identifier("target")
        var libraries: [String] = []
        for (index, entry) in reader.strings("libraries").enumerated() {
            let path = entry.value
            if path.hasPrefix("/") || path.split(separator: "/").contains("..") || path.isEmpty {
                reader.error(entry.node, "spec.libraries[\(index)]: \"\(path)\" must be a path inside the repository, relative to its root")
                continue
            }
            libraries.append(path)
            references.items.append(Reference(kind: .library, value: path, location: reader.location(entry.node), field: "spec.libraries[\(index)]", from: from))
        }
        if reader.node["libraries"] == nil {
            reader.error(reader.node, "missing required field \"spec.libraries\"; list the SQL or Python files the pipeline runs")
        }
        let configuration = reader.stringMap("configuration").mapValues(\.value)
        let continuous = reader.bool("continuous") ?? false
        let development = reader.bool("development") ?? false
        var schedule: Schedule?
        if let scheduleReader = reader.mapping("schedule") {
            schedule = decodeSchedule(scheduleReader)
            if continuous, let node = reader.node["schedule"] {
                reader.error(node, "a continuous pipeline runs all the time, so it takes no spec.schedule; remove one of them")
            }
        }
        let consumes = tables("consumes", kind: .consumes)
        let produces = tables("produces", kind: .produces)
        for table in Set(consumes).intersection(produces).sorted() {
            reader.error(reader.node, "table \"\(table)\" is both consumed and produced by this pipeline")
        }
        reader.finish()
        guard let catalog, let target else { return nil }
        return PipelineSpec(catalog: catalog, target: target, libraries: libraries, configuration: configuration,
                            continuous: continuous, schedule: schedule, development: development,
                            produces: produces, consumes: consumes)
    }

    private func identifier(_ key: String) -> String? {
        guard let node = reader.field(key, required: true), let value = reader.stringValue(node, reader.path(key)) else { return nil }
        guard Identifier.isValid(value) else {
            reader.error(node, "\(reader.path(key)): invalid identifier \"\(Identifier.shown(value))\"; \(Identifier.rule)")
            return nil
        }
        return value
    }

    private func tables(_ key: String, kind: Reference.Kind) -> [String] {
        var names: [String] = []
        for (index, entry) in reader.strings(key).enumerated() {
            guard Identifier.isFullName(entry.value, parts: 3) else {
                reader.error(entry.node, "\(reader.path(key))[\(index)]: \"\(entry.value)\" is not a table's full name \"catalog.schema.table\"")
                continue
            }
            names.append(entry.value)
            references.items.append(Reference(kind: kind, value: entry.value, location: reader.location(entry.node), field: "\(reader.path(key))[\(index)]", from: from))
        }
        return names
    }

    private func decodeSchedule(_ schedule: MappingReader) -> Schedule? {
        defer { schedule.finish() }
        let cronNode = schedule.field("cron", required: true)
        let cron = cronNode.flatMap { schedule.stringValue($0, "spec.schedule.cron") }
        let timezoneNode = schedule.field("timezone")
        let timezone = timezoneNode.flatMap { schedule.stringValue($0, "spec.schedule.timezone") } ?? "UTC"
        if let cron, let cronNode {
            let fields = cron.split(whereSeparator: \.isWhitespace)
            let allowed = CharacterSet(charactersIn: "0123456789*/,-?LW#ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
            if !(5...7).contains(fields.count) || !fields.allSatisfy({ $0.unicodeScalars.allSatisfy(allowed.contains) }) {
                schedule.error(cronNode, "spec.schedule.cron \"\(cron)\" is not a cron expression; write 5 fields (\"0 */2 * * *\") or Quartz's 6 or 7 (\"0 0 */2 * * ?\")")
            }
        }
        if let timezoneNode, TimeZone(identifier: timezone) == nil {
            schedule.error(timezoneNode, "spec.schedule.timezone \"\(timezone)\" is not a time zone; use an IANA name such as \"UTC\" or \"Europe/Berlin\"")
        }
        guard let cron else { return nil }
        return Schedule(cron: cron, timezone: timezone)
    }
}
