import WeirValues

/// `parse_grok`'s registration.
extension ComponentRegistry {
    static func registerGrok(into registry: inout ComponentRegistry) {
        registry.register(
            ComponentSpec(
                type: "parse_grok", kind: .transform, summary: "grok patterns (%{SYNTAX:name:type}) become fields",
                options: [
                    OptionSpec("pattern", .string, description: "a grok pattern; give it or patterns"),
                    OptionSpec("patterns", .stringList, description: "grok patterns tried in order, the first that matches wins"),
                    OptionSpec("pattern_definitions", .stringMap, description: "grok pattern names of the pipeline's own, to regexes"),
                    OptionSpec("field", .string, default: .string("message"), description: "the field to parse"),
                ]), transform: makeParseGrok)
    }

    /// Compiles the patterns when the pipeline is loaded (so `weir validate` reports an
    /// unknown name, a cycle or a bad regex at the option that has it) and once per run.
    @Sendable static func makeParseGrok(_ options: ComponentOptions) throws -> ParseGrokTransform {
        let library = GrokLibrary(custom: options.stringPairs("pattern_definitions"))
        do {
            try library.validateCustom()
        } catch {
            throw options.invalid("pattern_definitions", "has a problem: \(error.message)")
        }
        let option: String
        let sources: [String]
        switch (options.string("pattern"), options["patterns"]) {
        case (let pattern?, nil):
            option = "pattern"
            sources = [pattern]
        case (nil, .some):
            option = "patterns"
            sources = options.strings("patterns")
            guard !sources.isEmpty else { throw options.invalid("patterns", "must list at least one grok pattern") }
        case (.some, .some):
            throw options.invalid("patterns", "cannot be given with pattern: use patterns alone to try several")
        case (nil, nil):
            throw options.invalid("pattern", "is required (or patterns, a list tried in order)")
        }
        var patterns: [GrokPattern] = []
        for (index, source) in sources.enumerated() {
            do {
                patterns.append(try library.compile(source))
            } catch {
                let which = option == "patterns" ? "item \(index + 1) " : ""
                throw options.invalid(option, "\(which)'\(source)': \(error.message)")
            }
        }
        return ParseGrokTransform(patterns: patterns, field: options.string("field") ?? "message")
    }
}
