import Model

/// Prints diagnostics like a compiler: `path:line:col: error: message`, then the
/// source line and a caret under the column.
public struct DiagnosticRenderer {
    /// Returns the text of a 1-based line of a file, when it is known.
    public var sourceLine: (String, Int) -> String?
    public var style: TerminalStyle

    public init(style: TerminalStyle = .plain, sourceLine: @escaping (String, Int) -> String?) {
        self.style = style
        self.sourceLine = sourceLine
    }

    /// How many diagnostics are printed in full; the rest are counted.
    public static let maxShown = 200
    /// How much of a source line is quoted, around the column.
    public static let window = 120

    public func render(_ diagnostics: [Diagnostic]) -> String {
        var lines: [String] = []
        for diagnostic in diagnostics.prefix(Self.maxShown) {
            let label = diagnostic.severity.rawValue
            let colored = style.paint(label + ":", diagnostic.severity == .error ? .red : .yellow)
            let message = Self.escaped(diagnostic.message)
            if let location = diagnostic.location {
                lines.append(style.paint("\(Self.escaped(location.description)):", .bold) + " \(colored) \(message)")
                if let text = sourceLine(location.path, location.line) {
                    let (shown, column) = Self.window(of: text, around: location.column)
                    let gutter = String(location.line)
                    let pad = String(repeating: " ", count: gutter.count)
                    // Keep tabs in the caret line so the caret lines up under them.
                    let lead = shown.prefix(max(0, column - 1)).map { $0 == "\t" ? "\t" : " " }.joined()
                    lines.append(" \(gutter) | \(shown)")
                    lines.append(" \(pad) | \(lead)" + style.paint("^", .green))
                }
            } else {
                lines.append("\(colored) \(message)")
            }
        }
        let errors = diagnostics.filter { $0.severity == .error }.count
        if diagnostics.count > Self.maxShown {
            let rest = diagnostics.dropFirst(Self.maxShown)
            let restErrors = rest.filter { $0.severity == .error }.count
            lines.append("… and \(rest.count) more (\(restErrors) error\(restErrors == 1 ? "" : "s")) not shown; fix the ones above and run again")
        }
        if errors > 1 { lines.append("\(errors) errors") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// At most `window` characters of `text` around `column` (1-based), with `…` where
    /// cut, control characters made visible; and the column within what is shown.
    static func window(of text: String, around column: Int) -> (text: String, column: Int) {
        let characters = Array(text)
        var start = 0, end = characters.count
        if characters.count > window {
            start = max(0, min(column - 1 - window / 2, characters.count - window))
            end = min(characters.count, start + window)
        }
        var shown = characters[start..<end].map { $0 == "\t" || !isControl($0) ? $0 : "\u{FFFD}" }
        var shownColumn = column - start
        if start > 0 { shown.insert("…", at: 0); shownColumn += 1 }
        if end < characters.count { shown.append("…") }
        return (String(shown), shownColumn)
    }

    static func isControl(_ character: Character) -> Bool {
        character.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }

    /// `text` with control characters (but newlines and tabs) written as escapes
    /// (`\u{1B}`), so a name from a file can never drive the terminal.
    public static func escaped(_ text: String) -> String {
        func escapes(_ value: UInt32) -> Bool { (value < 0x20 && value != 0x0A && value != 0x09) || (0x7F...0x9F).contains(value) }
        guard text.unicodeScalars.contains(where: { escapes($0.value) }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if escapes(scalar.value) {
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// ANSI styling, or none (no terminal, or NO_COLOR).
public struct TerminalStyle: Sendable {
    public enum Color: String, Sendable {
        case red = "31", green = "32", yellow = "33", magenta = "35", cyan = "36", bold = "1", dim = "2"
    }

    public var enabled: Bool
    public static let plain = TerminalStyle(enabled: false)

    public init(enabled: Bool) { self.enabled = enabled }

    public func paint(_ text: String, _ color: Color) -> String {
        enabled ? "\u{1B}[\(color.rawValue)m\(text)\u{1B}[0m" : text
    }
}

extension DiagnosticRenderer {
    /// Diagnostics as JSON (`docs/diagnostics.schema.json`), for bots and editors: every
    /// diagnostic, each with its position when it has one, and the counts.
    public static func json(_ diagnostics: [Diagnostic]) -> Value {
        .object([
            "formatVersion": .int(PlanRenderer.formatVersion),
            "errors": .int(diagnostics.filter { $0.severity == .error }.count),
            "warnings": .int(diagnostics.filter { $0.severity == .warning }.count),
            "diagnostics": .array(diagnostics.map { diagnostic in
                var entry: [String: Value] = ["severity": .string(diagnostic.severity.rawValue), "message": .string(diagnostic.message)]
                if let location = diagnostic.location {
                    entry["file"] = .string(location.path)
                    entry["line"] = .int(location.line)
                    entry["column"] = .int(location.column)
                }
                return .object(entry)
            }),
        ])
    }
}

extension DiagnosticRenderer {
    /// Diagnostics as a markdown section, for a pull-request comment that would
    /// otherwise be empty: each with its position, the first `maxShown` in full.
    public static func markdown(_ diagnostics: [Diagnostic], title: String) -> String {
        let errors = diagnostics.filter { $0.severity == .error }.count
        var out = "### \(title)\n\n> [!CAUTION]\n> \(errors) error\(errors == 1 ? "" : "s"); nothing was planned or changed.\n\n"
        for diagnostic in diagnostics.prefix(maxShown) {
            let place = diagnostic.location.map { "`\(escaped($0.description))`: " } ?? ""
            out += "- **\(diagnostic.severity.rawValue)** \(place)\(PlanRenderer.escape(escaped(diagnostic.message)))\n"
        }
        if diagnostics.count > maxShown { out += "- … and \(diagnostics.count - maxShown) more\n" }
        return out
    }
}
