import Foundation
import Model

/// Parses a CHECK constraint's expression into a `CheckExpression`, or says which
/// part it does not evaluate.
struct CheckParser {
    enum Token: Equatable {
        case word(String)        // an identifier or keyword, as written
        case quoted(String)      // `a column`
        case string(String)      // 'text'
        case number(String)
        case symbol(String)      // ( ) , = <> != < <= > >=
    }

    private var tokens: [Token] = []
    private var position = 0

    static let maxLength = 4096

    static func parse(_ text: String) throws(CheckExpression.Unsupported) -> CheckExpression {
        guard text.utf8.count <= maxLength else { throw CheckExpression.Unsupported(reason: "the expression is longer than \(maxLength) bytes") }
        var parser = CheckParser()
        parser.tokens = try tokenize(text)
        let expression = try parser.or(depth: 0)
        guard parser.position == parser.tokens.count else {
            throw CheckExpression.Unsupported(reason: "the checker does not evaluate \(parser.describe(parser.tokens[parser.position])) here")
        }
        return expression
    }

    static func tokenize(_ text: String) throws(CheckExpression.Unsupported) -> [Token] {
        var tokens: [Token] = []
        let characters = Array(text)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character.isWhitespace { index += 1; continue }
            if character == "'" || character == "`" {
                var content = ""
                index += 1
                while true {
                    guard index < characters.count else { throw CheckExpression.Unsupported(reason: "an unclosed \(character) in the expression") }
                    if characters[index] == character {
                        if index + 1 < characters.count, characters[index + 1] == character { content.append(character); index += 2; continue }
                        break
                    }
                    if character == "'", characters[index] == "\\", index + 1 < characters.count { content.append(characters[index + 1]); index += 2; continue }
                    content.append(characters[index])
                    index += 1
                }
                index += 1
                tokens.append(character == "'" ? .string(content) : .quoted(content))
            } else if character.isNumber || (character == "." && index + 1 < characters.count && characters[index + 1].isNumber) {
                var number = ""
                while index < characters.count, characters[index].isNumber || characters[index] == "." { number.append(characters[index]); index += 1 }
                tokens.append(.number(number))
            } else if character.isLetter || character == "_" {
                var word = ""
                while index < characters.count, characters[index].isLetter || characters[index].isNumber || characters[index] == "_" { word.append(characters[index]); index += 1 }
                tokens.append(.word(word))
            } else {
                let pair = index + 1 < characters.count ? String([character, characters[index + 1]]) : ""
                if ["<>", "!=", "<=", ">=", "=="].contains(pair) {
                    tokens.append(.symbol(pair == "!=" ? "<>" : pair == "==" ? "=" : pair))
                    index += 2
                } else if "(),=<>-".contains(character) {
                    tokens.append(.symbol(String(character)))
                    index += 1
                } else {
                    throw CheckExpression.Unsupported(reason: "the checker does not evaluate \"\(character)\"")
                }
            }
        }
        return tokens
    }

    // MARK: Grammar

    private func describe(_ token: Token) -> String {
        switch token {
        case .word(let word): return "\"\(word)\""
        case .quoted(let name): return "`\(name)`"
        case .string(let text): return "'\(text)'"
        case .number(let number): return number
        case .symbol(let symbol): return "\"\(symbol)\""
        }
    }

    private func peekWord(_ word: String) -> Bool {
        if position < tokens.count, case .word(let found) = tokens[position] { return found.uppercased() == word }
        return false
    }

    private mutating func takeWord(_ word: String) -> Bool {
        guard peekWord(word) else { return false }
        position += 1
        return true
    }

    private mutating func expect(_ symbol: String) throws(CheckExpression.Unsupported) {
        guard position < tokens.count, tokens[position] == .symbol(symbol) else {
            throw CheckExpression.Unsupported(reason: "expected \"\(symbol)\" in the expression")
        }
        position += 1
    }

    private mutating func or(depth: Int) throws(CheckExpression.Unsupported) -> CheckExpression {
        guard depth < 64 else { throw CheckExpression.Unsupported(reason: "the expression nests more than 64 levels") }
        var left = try and(depth: depth)
        while takeWord("OR") { left = .or(left, try and(depth: depth)) }
        return left
    }

    private mutating func and(depth: Int) throws(CheckExpression.Unsupported) -> CheckExpression {
        var left = try not(depth: depth)
        while takeWord("AND") { left = .and(left, try not(depth: depth)) }
        return left
    }

    private mutating func not(depth: Int) throws(CheckExpression.Unsupported) -> CheckExpression {
        if takeWord("NOT") { return .not(try not(depth: depth + 1)) }
        return try predicate(depth: depth)
    }

    private mutating func predicate(depth: Int) throws(CheckExpression.Unsupported) -> CheckExpression {
        let left = try operand(depth: depth)
        if takeWord("IS") {
            let negated = takeWord("NOT")
            guard takeWord("NULL") else { throw CheckExpression.Unsupported(reason: "the checker evaluates IS NULL and IS NOT NULL only") }
            return .isNull(left, negated: negated)
        }
        let negated = takeWord("NOT")
        if takeWord("IN") {
            try expect("(")
            var items = [try operand(depth: depth)]
            while position < tokens.count, tokens[position] == .symbol(",") { position += 1; items.append(try operand(depth: depth)) }
            try expect(")")
            return .inList(left, items, negated: negated)
        }
        if takeWord("BETWEEN") {
            let low = try operand(depth: depth)
            guard takeWord("AND") else { throw CheckExpression.Unsupported(reason: "BETWEEN needs AND") }
            return .between(left, low, try operand(depth: depth), negated: negated)
        }
        if negated { throw CheckExpression.Unsupported(reason: "the checker evaluates NOT IN and NOT BETWEEN, not this NOT") }
        if position < tokens.count, case .symbol(let symbol) = tokens[position], let op = CheckExpression.Comparison(rawValue: symbol) {
            position += 1
            return .compare(op, left, try operand(depth: depth))
        }
        return left
    }

    private mutating func operand(depth: Int) throws(CheckExpression.Unsupported) -> CheckExpression {
        guard position < tokens.count else { throw CheckExpression.Unsupported(reason: "the expression ends early") }
        let token = tokens[position]
        position += 1
        switch token {
        case .symbol("("):
            let inner = try or(depth: depth + 1)
            try expect(")")
            return inner
        case .symbol("-"):
            guard position < tokens.count, case .number(let digits) = tokens[position] else { throw CheckExpression.Unsupported(reason: "the checker does not evaluate arithmetic") }
            position += 1
            return try number("-" + digits)
        case .number(let digits): return try number(digits)
        case .string(let text): return .literal(.string(text))
        case .quoted(let name): return .column(name)
        case .word(let word):
            switch word.uppercased() {
            case "NULL": return .literal(.null)
            case "TRUE": return .literal(.bool(true))
            case "FALSE": return .literal(.bool(false))
            case "DATE":
                guard position < tokens.count, case .string(let text) = tokens[position] else { throw CheckExpression.Unsupported(reason: "DATE needs a quoted date") }
                position += 1
                return .literal(.string(text))
            default:
                if position < tokens.count, tokens[position] == .symbol("(") {
                    throw CheckExpression.Unsupported(reason: "the checker does not evaluate the function \(word)()")
                }
                return .column(word)
            }
        default:
            throw CheckExpression.Unsupported(reason: "the checker does not evaluate \(describe(token)) here")
        }
    }

    private func number(_ text: String) throws(CheckExpression.Unsupported) -> CheckExpression {
        if let integer = Int(text) { return .literal(.int(integer)) }
        if let double = Double(text) { return .literal(.double(double)) }
        throw CheckExpression.Unsupported(reason: "\(text) is not a number")
    }
}

/// A CHECK constraint's expression, checked against one row: for tools and fuzzing.
public enum CheckConstraint {
    /// True, false or nil (NULL) for `row`; the reason when the checker does not evaluate the expression.
    public static func evaluate(_ expression: String, row: [String: Value]) -> Result<Bool?, UnsupportedExpression> {
        do throws(CheckExpression.Unsupported) {
            return .success(try CheckParser.parse(expression).holds(Dictionary(row.map { ($0.key.lowercased(), $0.value) }) { first, _ in first }))
        } catch {
            return .failure(UnsupportedExpression(reason: error.reason))
        }
    }

    public struct UnsupportedExpression: Error, Sendable {
        public let reason: String
    }
}
