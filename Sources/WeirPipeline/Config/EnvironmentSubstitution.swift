import Foundation
import WeirValues

/// `${VAR}` and `${VAR:-default}` in a pipeline file's values, from the environment.
/// `$${` stands for a literal `${`.
enum EnvironmentSubstitution {
    struct Missing: Error { let name: String }

    static func apply(_ text: String, _ environment: [String: String]) throws(Missing) -> String {
        guard text.contains("${") else { return text }
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            if start.lowerBound > rest.startIndex, rest[rest.index(before: start.lowerBound)] == "$" {
                result += rest[..<rest.index(before: start.lowerBound)] + "${"
                rest = rest[start.upperBound...]
                continue
            }
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { break }
            result += rest[..<start.lowerBound]
            let body = rest[start.upperBound..<end]
            if let dash = body.range(of: ":-") {
                let name = String(body[..<dash.lowerBound])
                let value = environment[name] ?? ""
                result += value.isEmpty ? String(body[dash.upperBound...]) : value
            } else {
                guard !body.isEmpty, let value = environment[String(body)] else {
                    throw Missing(name: body.isEmpty ? "(empty name in ${})" : String(body))
                }
                result += value
            }
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }
}
