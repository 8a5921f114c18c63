import Foundation

/// A parsed expression of the pipeline language (conditions of `filter` and `route`,
/// computed values of `set`). The grammar is in docs/expressions.md.
///
/// Parsing checks everything that can be checked without a record — syntax, function
/// names and arities, regexes — so `weir validate` reports it with its column.
public indirect enum Expression: Sendable {
    case literal(Value)
    case path([String], column: Int)
    case not(Expression, column: Int)
    case and(Expression, Expression)
    case or(Expression, Expression)
    case compare(ComparisonOperator, Expression, Expression, column: Int)
    case matches(Expression, CompiledRegex, column: Int)
    case call(Function, [Expression], column: Int)

    public enum ComparisonOperator: String, Sendable, CaseIterable {
        case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
        case contains, startsWith = "starts_with", endsWith = "ends_with"
    }

    public enum Function: String, Sendable, CaseIterable {
        case exists, lower, upper, toInt = "to_int", toString = "to_string", length

        var arity: Int { 1 }
    }

    /// Parses `text`; errors carry the column where the problem starts.
    public init(parsing text: String) throws(ExpressionError) {
        var parser = ExpressionParser(tokens: try ExpressionLexer.tokens(text))
        self = try parser.parseAll()
    }
}
