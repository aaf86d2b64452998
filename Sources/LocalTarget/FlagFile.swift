import Foundation
import Model

/// `<root>/flags.json` in flagd's flag-file format, which flagd and the OpenFeature
/// flagd provider read as is. Written whole and atomically (write, fsync, rename);
/// flags and keys that reconcile does not manage are kept as they are.
struct FlagFile {
    static let fileName = "flags.json"
    static let schemaURL = "https://flagd.dev/schema/v0/flags.json"

    let url: URL

    /// The whole document; an absent file is an empty one.
    func read() throws(TargetError) -> [String: Value] {
        guard let data = FileManager.default.contents(atPath: url.path) else { return [:] }
        do {
            guard case .object(let document) = try JSONDecoder().decode(Value.self, from: data) else {
                throw TargetError(nil, "\(url.path) is not a JSON object; fix it or remove it")
            }
            return document
        } catch let error as TargetError {
            throw error
        } catch {
            throw TargetError(nil, "\(url.path) is not valid JSON (\(error)); fix it or remove it")
        }
    }

    func observe() throws(TargetError) -> [Resource] {
        guard case .object(let flags)? = try read()["flags"] else { return [] }
        return flags.compactMap { key, value in
            guard case .object(let fields) = value else { return nil }
            let spec = FlagSpec(
                state: fields["state"]?.stringValue.flatMap(FlagSpec.State.init(rawValue:)) ?? .enabled,
                variants: { if case .object(let variants)? = fields["variants"] { return variants }; return [:] }(),
                defaultVariant: fields["defaultVariant"]?.stringValue ?? "",
                targeting: fields["targeting"].flatMap { $0 == .object([:]) ? nil : $0 },
                metadata: { if case .object(let metadata)? = fields["metadata"] { return metadata }; return [:] }())
            return Resource(id: ResourceID(.featureFlag, key), spec: .featureFlag(spec), observation: Observation())
        }
    }

    /// Sets (or, with nil, removes) one flag, rewriting the file atomically.
    func write(_ key: String, _ flag: FlagSpec?) throws(TargetError) {
        var document = try read()
        var flags: [String: Value] = [:]
        if case .object(let existing)? = document["flags"] { flags = existing }
        flags[key] = flag?.canonical
        document["flags"] = .object(flags)
        document["$schema"] = document["$schema"] ?? .string(Self.schemaURL)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let data: Data
        do {
            data = try encoder.encode(Value.object(document))
        } catch {
            throw TargetError(ResourceID(.featureFlag, key), "cannot encode \(url.path): \(error)")
        }
        try Files.replaceAtomically(data, at: url, id: ResourceID(.featureFlag, key))
    }
}
