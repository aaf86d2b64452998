import Foundation

/// A secret named by reference in a file that lives in git: `${env:NAME}` or
/// `${file:PATH}`, resolved only when it is needed, and never echoed (not in errors
/// either, whatever the file holds).
public enum SecretReference {
    public struct Failure: Error, Sendable {
        public var message: String
    }

    /// Whether `text` is such a reference.
    public static func isReference(_ text: String) -> Bool {
        text.hasSuffix("}") && (text.hasPrefix("${env:") || text.hasPrefix("${file:"))
    }

    /// The value `reference` names; `what` says what it is for, in errors.
    public static func resolve(_ reference: String, what: String) throws(Failure) -> String {
        let inner = String(reference.dropFirst(2).dropLast())
        if inner.hasPrefix("env:") {
            let name = String(inner.dropFirst(4))
            guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
                throw Failure(message: "the environment variable \(name) is not set; it holds \(what)")
            }
            return value
        }
        let path = String(inner.dropFirst(5))
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw Failure(message: "cannot read the credential file \(path)")
        }
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        // One secret, one line: anything else is the wrong file (never echoed).
        guard !value.isEmpty, !value.contains(where: \.isNewline) else {
            throw Failure(message: "the credential file \(path) must hold the secret on a single line (it holds \(value.isEmpty ? "nothing" : "several lines")); check that it is the right file")
        }
        return value
    }
}
