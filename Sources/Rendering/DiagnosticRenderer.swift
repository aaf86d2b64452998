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

    public func render(_ diagnostics: [Diagnostic]) -> String {
        var lines: [String] = []
        for diagnostic in diagnostics {
            let label = diagnostic.severity.rawValue
            let colored = style.paint(label + ":", diagnostic.severity == .error ? .red : .yellow)
            if let location = diagnostic.location {
                lines.append(style.paint("\(location):", .bold) + " \(colored) \(diagnostic.message)")
                if let text = sourceLine(location.path, location.line) {
                    let gutter = String(location.line)
                    let pad = String(repeating: " ", count: gutter.count)
                    // Keep tabs in the caret line so the caret lines up under them.
                    let lead = text.prefix(max(0, location.column - 1)).map { $0 == "\t" ? "\t" : " " }.joined()
                    lines.append(" \(gutter) | \(text)")
                    lines.append(" \(pad) | \(lead)" + style.paint("^", .green))
                }
            } else {
                lines.append("\(colored) \(diagnostic.message)")
            }
        }
        let errors = diagnostics.filter { $0.severity == .error }.count
        if errors > 1 { lines.append("\(errors) errors") }
        return lines.joined(separator: "\n") + "\n"
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
