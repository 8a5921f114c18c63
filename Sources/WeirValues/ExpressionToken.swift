/// The tokens of the expression language, each with the column where it starts.
struct ExpressionToken: Equatable {
    enum Kind: Equatable {
        case path([String])
        case string(String)
        case int(Int64)
        case double(Double)
        case identifier(String)
        case symbol(String)  // == != < <= > >= && || ! ( ) ,
        case end
    }

    var kind: Kind
    var column: Int
}

/// Splits expression text into tokens.
enum ExpressionLexer {
    static func tokens(_ text: String) throws(ExpressionError) -> [ExpressionToken] {
        let chars = Array(text.unicodeScalars)
        var tokens: [ExpressionToken] = []
        var i = 0
        func column(_ index: Int) -> Int { index + 1 }
        while i < chars.count {
            let c = chars[i]
            if c.properties.isWhitespace {
                i += 1
                continue
            }
            let start = i
            if c == "." {
                var path: [String] = []
                while i < chars.count, chars[i] == "." {
                    i += 1
                    let nameStart = i
                    while i < chars.count, isNameChar(chars[i]) { i += 1 }
                    guard i > nameStart else {
                        throw ExpressionError(column: column(i), "expected a field name after '.'")
                    }
                    path.append(String(String.UnicodeScalarView(chars[nameStart..<i])))
                }
                tokens.append(ExpressionToken(kind: .path(path), column: column(start)))
            } else if c == "\"" || c == "'" {
                i += 1
                var value = String.UnicodeScalarView()
                var closed = false
                while i < chars.count {
                    let d = chars[i]
                    if d == c {
                        closed = true
                        i += 1
                        break
                    }
                    if d == "\\", i + 1 < chars.count {
                        let escaped = chars[i + 1]
                        switch escaped {
                        case "n": value.append("\n")
                        case "t": value.append("\t")
                        case "r": value.append("\r")
                        case "\\", "\"", "'": value.append(escaped)
                        // Anything else keeps its backslash, so regexes like "\d+" mean what they say.
                        default:
                            value.append("\\")
                            value.append(escaped)
                        }
                        i += 2
                        continue
                    }
                    value.append(d)
                    i += 1
                }
                guard closed else { throw ExpressionError(column: column(start), "string is not closed") }
                tokens.append(ExpressionToken(kind: .string(String(value)), column: column(start)))
            } else if c.properties.numericType != nil && c.isASCII
                || (c == "-" && i + 1 < chars.count && chars[i + 1].isASCII && chars[i + 1].properties.numericType != nil)
            {
                i += 1
                var isDouble = false
                while i < chars.count, chars[i].isASCII, chars[i].properties.numericType != nil || (chars[i] == "." && !isDouble) {
                    if chars[i] == "." { isDouble = true }
                    i += 1
                }
                let text = String(String.UnicodeScalarView(chars[start..<i]))
                if isDouble, let value = Double(text) {
                    tokens.append(ExpressionToken(kind: .double(value), column: column(start)))
                } else if let value = Int64(text) {
                    tokens.append(ExpressionToken(kind: .int(value), column: column(start)))
                } else {
                    throw ExpressionError(column: column(start), "'\(text)' is not a number")
                }
            } else if isNameStart(c) {
                while i < chars.count, isNameChar(chars[i]) { i += 1 }
                tokens.append(ExpressionToken(kind: .identifier(String(String.UnicodeScalarView(chars[start..<i]))), column: column(start)))
            } else {
                let two = i + 1 < chars.count ? String(String.UnicodeScalarView([c, chars[i + 1]])) : ""
                if ["==", "!=", "<=", ">=", "&&", "||"].contains(two) {
                    tokens.append(ExpressionToken(kind: .symbol(two), column: column(start)))
                    i += 2
                } else if "<>!(),".unicodeScalars.contains(c) {
                    tokens.append(ExpressionToken(kind: .symbol(String(c)), column: column(start)))
                    i += 1
                } else {
                    throw ExpressionError(column: column(start), "unexpected character '\(c)'")
                }
            }
        }
        tokens.append(ExpressionToken(kind: .end, column: column(chars.count)))
        return tokens
    }

    private static func isNameStart(_ c: Unicode.Scalar) -> Bool {
        c == "_" || (c.isASCII && c.properties.isAlphabetic)
    }

    private static func isNameChar(_ c: Unicode.Scalar) -> Bool {
        isNameStart(c) || (c.isASCII && c.properties.numericType != nil) || c == "-"
    }
}
