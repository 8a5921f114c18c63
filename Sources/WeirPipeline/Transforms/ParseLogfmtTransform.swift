import Foundation
import Synchronization
import WeirValues

/// `parse_logfmt`: `key=value key2="quoted value"` pairs become string fields.
struct ParseLogfmtTransform: FieldParser {
    let field: String

    var notAString: String { "parse_logfmt: field '\(field)' is not a string" }

    func parse(_ text: String) -> Result<[(String, Value)], ParseFailure> {
        let pairs = Self.pairs(text)
        guard !pairs.isEmpty else { return .failure(ParseFailure(reason: "parse_logfmt: '\(field)' holds no key=value pairs")) }
        return .success(pairs.map { ($0.0, .string($0.1)) })
    }

    static func pairs(_ text: String) -> [(String, String)] {
        var pairs: [(String, String)] = []
        var chars = Substring(text)
        while true {
            chars = chars.drop { $0 == " " || $0 == "\t" }
            guard !chars.isEmpty else { break }
            let key = chars.prefix { $0 != "=" && $0 != " " }
            chars = chars.dropFirst(key.count)
            guard chars.first == "=" else {
                if !key.isEmpty { pairs.append((String(key), "true")) }
                continue
            }
            chars = chars.dropFirst()
            var value = ""
            if chars.first == "\"" {
                chars = chars.dropFirst()
                while let c = chars.first, c != "\"" {
                    if c == "\\", let next = chars.dropFirst().first {
                        value.append(next)
                        chars = chars.dropFirst(2)
                    } else {
                        value.append(c)
                        chars = chars.dropFirst()
                    }
                }
                chars = chars.dropFirst()
            } else {
                let raw = chars.prefix { $0 != " " && $0 != "\t" }
                value = String(raw)
                chars = chars.dropFirst(raw.count)
            }
            if !key.isEmpty { pairs.append((String(key), value)) }
        }
        return pairs
    }
}
