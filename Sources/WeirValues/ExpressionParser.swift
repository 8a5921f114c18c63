import Foundation

/// Recursive descent over the tokens, loosest binding first:
/// `||`, then `&&`, then one comparison, then `!`, then primaries.
struct ExpressionParser {
    let tokens: [ExpressionToken]
    var index = 0

    init(tokens: [ExpressionToken]) { self.tokens = tokens }

    private var current: ExpressionToken { tokens[index] }

    mutating func parseAll() throws(ExpressionError) -> Expression {
        let expression = try parseOr()
        guard current.kind == .end else { throw ExpressionError(column: current.column, "unexpected \(describe(current))") }
        return expression
    }

    private mutating func parseOr() throws(ExpressionError) -> Expression {
        var left = try parseAnd()
        while current.kind == .symbol("||") {
            index += 1
            left = .or(left, try parseAnd())
        }
        return left
    }

    private mutating func parseAnd() throws(ExpressionError) -> Expression {
        var left = try parseComparison()
        while current.kind == .symbol("&&") {
            index += 1
            left = .and(left, try parseComparison())
        }
        return left
    }

    private mutating func parseComparison() throws(ExpressionError) -> Expression {
        let left = try parseUnary()
        let token = current
        let name: String
        switch token.kind {
        case .symbol(let symbol) where ["==", "!=", "<", "<=", ">", ">="].contains(symbol): name = symbol
        case .identifier(let word) where ["contains", "starts_with", "ends_with", "matches"].contains(word): name = word
        default: return left
        }
        index += 1
        let right = try parseUnary()
        if name == "matches" {
            guard case .literal(.string(let pattern)) = right else {
                throw ExpressionError(column: token.column, "'matches' needs a string literal on its right (the regex)")
            }
            do {
                return .matches(left, try CompiledRegex(pattern), column: token.column)
            } catch {
                throw ExpressionError(column: token.column, "invalid regex '\(pattern)': \(error)")
            }
        }
        return .compare(Expression.ComparisonOperator(rawValue: name)!, left, right, column: token.column)
    }

    private mutating func parseUnary() throws(ExpressionError) -> Expression {
        if current.kind == .symbol("!") {
            let column = current.column
            index += 1
            return .not(try parseUnary(), column: column)
        }
        return try parsePrimary()
    }

    private mutating func parsePrimary() throws(ExpressionError) -> Expression {
        let token = current
        index += 1
        switch token.kind {
        case .path(let path): return .path(path, column: token.column)
        case .string(let text): return .literal(.string(text))
        case .int(let value): return .literal(.int(value))
        case .double(let value): return .literal(.double(value))
        case .identifier("true"): return .literal(.bool(true))
        case .identifier("false"): return .literal(.bool(false))
        case .identifier("null"): return .literal(.null)
        case .identifier(let name):
            guard current.kind == .symbol("(") else {
                throw ExpressionError(column: token.column, "unknown word '\(name)' (field paths start with '.', strings are quoted)")
            }
            guard let function = Expression.Function(rawValue: name) else {
                let known = Expression.Function.allCases.map(\.rawValue).joined(separator: ", ")
                throw ExpressionError(column: token.column, "unknown function '\(name)' (known: \(known))")
            }
            index += 1
            var arguments: [Expression] = []
            if current.kind != .symbol(")") {
                arguments.append(try parseOr())
                while current.kind == .symbol(",") {
                    index += 1
                    arguments.append(try parseOr())
                }
            }
            guard current.kind == .symbol(")") else { throw ExpressionError(column: current.column, "expected ')' to close \(name)(") }
            index += 1
            guard arguments.count == function.arity else {
                throw ExpressionError(column: token.column, "\(name) takes \(function.arity) argument, got \(arguments.count)")
            }
            if function == .exists, case .path = arguments[0] {
            } else if function == .exists {
                throw ExpressionError(column: token.column, "exists takes a field path, like exists(.user.id)")
            }
            return .call(function, arguments, column: token.column)
        case .symbol("("):
            let inner = try parseOr()
            guard current.kind == .symbol(")") else { throw ExpressionError(column: current.column, "expected ')'") }
            index += 1
            return inner
        default:
            throw ExpressionError(column: token.column, "expected a value, a field path or '(' but found \(describe(token))")
        }
    }

    private func describe(_ token: ExpressionToken) -> String {
        switch token.kind {
        case .end: "the end"
        case .symbol(let symbol): "'\(symbol)'"
        case .identifier(let name): "'\(name)'"
        case .path(let path): "'." + path.joined(separator: ".") + "'"
        case .string(let text): "\"\(text)\""
        case .int(let value): "\(value)"
        case .double(let value): "\(value)"
        }
    }
}
