import WeirValues

/// The grok patterns a `parse_grok` can name: Weir's standard ones, with the pipeline's
/// `pattern_definitions` over them (a custom definition may replace a standard name).
struct GrokLibrary: Sendable {
    let definitions: [String: String]
    /// The names the pipeline defined, checked on their own before any pattern uses them.
    let custom: [String]

    init(custom: [(String, String)] = []) {
        var definitions = GrokStandardPatterns.definitions
        for (name, regex) in custom { definitions[name] = regex }
        self.definitions = definitions
        self.custom = custom.map(\.0)
    }

    /// Checks every custom definition: a valid name, references that resolve without a
    /// cycle, and a regex that compiles on its own (so an error names the definition
    /// that has it rather than a pattern that uses it).
    func validateCustom() throws(GrokError) {
        for name in custom {
            guard GrokExpansion.isPatternName(name) else {
                throw GrokError(message: "'\(name)' is not a grok pattern name: use letters, digits and '_'")
            }
            _ = try compile(definitions[name] ?? "", as: name)
        }
    }

    /// Expands `pattern` and compiles it into one regex. `name` is the definition being
    /// compiled, for messages (nil: a pattern of the pipeline).
    func compile(_ pattern: String, as name: String? = nil) throws(GrokError) -> GrokPattern {
        var expansion = GrokExpansion(definitions: definitions, root: name)
        try expansion.expand(pattern, origin: name)
        let text = String(decoding: expansion.regex, as: UTF8.self)
        let regex: CompiledRegex
        do {
            regex = try CompiledRegex(text)
        } catch {
            let (origin, offset) = expansion.origin(ofRegexOffset: error.offset)
            let place = origin.map { "grok pattern '\($0)'" } ?? "the pattern"
            throw GrokError(message: "\(place) is not a valid regex at offset \(offset): \(error.message)")
        }
        let captures = regex.groups.map { group in
            expansion.captures[group.name] ?? GrokCapture(path: [group.name], conversion: .none)
        }
        return GrokPattern(source: pattern, regex: regex, captures: captures)
    }
}
