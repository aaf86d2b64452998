import Flags
import Foundation
import Engine
import Model
import Synchronization

/// OFREP (OpenFeature Remote Evaluation Protocol) over the environment's applied
/// flag file: the same evaluation flagd does, so both answer alike.
public final class OFREPService: Sendable {
    private let cached = Mutex<(url: URL, stamp: String, evaluator: FlagEvaluator, bytes: [UInt8])?>(nil)

    public init() {}

    /// The evaluator for the flags at `url`, reloaded when the file changes.
    func evaluator(at url: URL) -> (FlagEvaluator, [UInt8])? {
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        let stamp = "\((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)-\(attributes?[.size] ?? 0)"
        return cached.withLock { cached in
            if let cached, cached.url == url, cached.stamp == stamp { return (cached.evaluator, cached.bytes) }
            guard let data = FileManager.default.contents(atPath: url.path),
                  let document = try? JSONDecoder().decode([String: Value].self, from: data) else { return nil }
            let evaluator = FlagEvaluator(document: document)
            cached = (url, stamp, evaluator, Array(data))
            return (evaluator, Array(data))
        }
    }

    /// The `context` of an OFREP request body.
    public static func context(_ body: [UInt8]) -> [String: Value]? {
        guard !body.isEmpty else { return [:] }
        guard case .object(let request)? = try? JSONDecoder().decode(Value.self, from: Data(body)) else { return nil }
        guard let context = request["context"] else { return [:] }
        guard case .object(let fields) = context else { return nil }
        return fields
    }

    /// Status and body for one flag.
    public func evaluate(key: String, body: [UInt8], flags: URL?) -> (Int, Value) {
        guard let context = Self.context(body) else {
            return (400, .object(["key": .string(key), "errorCode": "INVALID_CONTEXT", "errorDetails": "the body must be {\"context\": {…}}"]))
        }
        guard let flags, let (evaluator, _) = evaluator(at: flags) else {
            return (404, .object(["key": .string(key), "errorCode": "FLAG_NOT_FOUND", "errorDetails": "no flags are applied in this environment"]))
        }
        let result = evaluator.evaluate(key, context: context)
        if let code = result.errorCode {
            return (code == "FLAG_NOT_FOUND" ? 404 : 400, .object(["key": .string(key), "errorCode": .string(code), "errorDetails": .string(result.errorDetails ?? "")]))
        }
        return (200, Self.json(result))
    }

    /// Status, ETag and body for all flags. The ETag covers the flags and the context,
    /// so a client polling with If-None-Match gets 304 until either changes.
    public func evaluateAll(body: [UInt8], flags: URL?, ifNoneMatch: String?) -> (Int, String?, Value?) {
        guard let context = Self.context(body) else {
            return (400, nil, .object(["errorCode": "INVALID_CONTEXT", "errorDetails": "the body must be {\"context\": {…}}"]))
        }
        guard let flags, let (evaluator, bytes) = evaluator(at: flags) else {
            return (200, nil, .object(["flags": .array([])]))
        }
        let contextBytes = (try? JSONEncoder.sorted.encode(Value.object(context))) ?? Data()
        let etag = "\"" + String(Digest.sha256Hex(bytes + Array(contextBytes)).prefix(32)) + "\""
        if let ifNoneMatch, ifNoneMatch.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }).contains(etag) {
            return (304, etag, nil)
        }
        let results = evaluator.flags.keys.sorted().map { key -> Value in
            let result = evaluator.evaluate(key, context: context)
            if let code = result.errorCode {
                return .object(["key": .string(key), "errorCode": .string(code), "errorDetails": .string(result.errorDetails ?? "")])
            }
            return Self.json(result)
        }
        return (200, etag, .object(["flags": .array(results)]))
    }

    static func json(_ result: FlagEvaluation) -> Value {
        var object: [String: Value] = [
            "key": .string(result.key), "reason": .string(result.reason),
            "variant": result.variant.map(Value.string) ?? .null, "metadata": .object(result.metadata),
        ]
        if let value = result.value { object["value"] = value }
        return .object(object)
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
