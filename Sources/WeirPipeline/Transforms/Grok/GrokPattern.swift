import WeirValues

/// A grok pattern compiled: every `%{…}` expanded, the whole one PCRE2 regex (JIT), and
/// what each of its named groups becomes.
struct GrokPattern: Sendable {
    /// The pattern as written.
    let source: String
    let regex: CompiledRegex
    /// By the index of a named group in `regex.groups`.
    let captures: [GrokCapture]

    /// Whether the captures are top-level fields with names of their own, none `field`:
    /// a record holding only `field` can then take them without a search for each name.
    func capturesDistinctFields(from field: String) -> Bool {
        let names = captures.map(\.path)
        return names.allSatisfy { $0.count == 1 && $0[0] != field } && Set(names).count == names.count
    }
}

/// A grok pattern that cannot be used, said in one line naming the grok pattern at fault.
struct GrokError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
