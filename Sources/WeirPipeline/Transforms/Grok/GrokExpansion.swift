/// Turns a grok pattern into the regex it stands for: each `%{SYNTAX}` becomes its
/// definition in a non-capturing group, each `%{SYNTAX:name}` or `%{SYNTAX:name:type}` a
/// named group, recursively; text between references is regex, kept as it is.
///
/// PCRE2 wants group names unique and made of letters, digits and `_`, which a capture's
/// name (`[client][ip]`, `client.ip`, the same name in two alternatives) need not be: so
/// every capture is a group `_gN` of its own, and `captures` says which field each one
/// fills. A raw `(?<name>…)` the pattern writes itself keeps its name (a field of that name).
struct GrokExpansion {
    let definitions: [String: String]
    /// The regex so far, as UTF-8.
    private(set) var regex: [UInt8] = []
    /// Each `_gN` group's field and conversion, by group name.
    private(set) var captures: [String: GrokCapture] = [:]
    /// The definitions being expanded, outermost first: a name met again is a cycle.
    private var stack: [String] = []
    /// Where each run of `regex` came from: the definition (nil for the pattern itself) and
    /// the byte offset in it, so that a regex error can name the grok pattern that has it.
    private var sources: [(start: Int, origin: String?, offset: Int)] = []

    /// `root`: the definition whose text is expanded first, if it is one.
    init(definitions: [String: String], root: String? = nil) {
        self.definitions = definitions
        stack = root.map { [$0] } ?? []
    }

    static func isPatternName(_ name: some Collection<UInt8>) -> Bool {
        !name.isEmpty && name.allSatisfy { $0 == UInt8(ascii: "_") || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0 & ~0x20) }
    }

    static func isPatternName(_ name: String) -> Bool { isPatternName(Array(name.utf8)) }

    /// Appends the expansion of `text`, the definition `origin` (nil: the pattern).
    mutating func expand(_ text: String, origin: String?) throws(GrokError) {
        let bytes = Array(text.utf8)
        let percent = UInt8(ascii: "%")
        let open = UInt8(ascii: "{")
        var literalStart = 0
        var at = 0
        while at + 1 < bytes.count {
            guard bytes[at] == percent, bytes[at + 1] == open else {
                at += 1
                continue
            }
            append(bytes[literalStart..<at], origin: origin, offset: literalStart)
            guard let close = bytes[(at + 2)...].firstIndex(of: UInt8(ascii: "}")) else {
                throw GrokError(message: "\(Self.place(origin)) has '%{' without a closing '}' at offset \(at)")
            }
            try reference(String(decoding: bytes[(at + 2)..<close], as: UTF8.self), origin: origin, offset: at)
            at = close + 1
            literalStart = at
        }
        append(bytes[literalStart...], origin: origin, offset: literalStart)
    }

    /// One `%{SYNTAX[:name[:type]]}` (its text between the braces) at `offset` in `origin`.
    private mutating func reference(_ inside: String, origin: String?, offset: Int) throws(GrokError) {
        let parts = inside.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        let syntax = parts[0]
        let written = "%{\(inside)}"
        guard Self.isPatternName(syntax) else {
            throw GrokError(message: "\(Self.place(origin)) has '\(written)', which does not start with a grok pattern name")
        }
        guard let definition = definitions[syntax] else {
            let hint = suggestion(for: syntax, among: definitions.keys)
            throw GrokError(message: "\(Self.place(origin)) refers to unknown grok pattern '\(syntax)'\(hint)")
        }
        if let cycleStart = stack.firstIndex(of: syntax) {
            let cycle = (stack[cycleStart...] + [syntax]).joined(separator: " -> ")
            throw GrokError(message: "grok pattern '\(syntax)' refers to itself: \(cycle)")
        }
        var capture: GrokCapture?
        if parts.count > 1 {
            guard let path = GrokCapture.path(parts[1]) else {
                throw GrokError(
                    message: "\(Self.place(origin)) has '\(written)': capture names are a field name, a.b or [a][b], not '\(parts[1])'")
            }
            var conversion = GrokCapture.Conversion.none
            if parts.count > 2 {
                guard let given = GrokCapture.Conversion(rawValue: parts[2]), given != .none else {
                    throw GrokError(message: "\(Self.place(origin)) has '\(written)': the type may be int or float, not '\(parts[2])'")
                }
                conversion = given
            }
            capture = GrokCapture(path: path, conversion: conversion)
        }
        let groupName: String?
        if let capture {
            let name = "_g\(captures.count)"
            captures[name] = capture
            groupName = name
        } else {
            groupName = nil
        }
        append(Array((groupName.map { "(?<\($0)>" } ?? "(?:").utf8)[...], origin: origin, offset: offset)
        stack.append(syntax)
        try expand(definition, origin: syntax)
        stack.removeLast()
        append(Array(")".utf8)[...], origin: origin, offset: offset)
    }

    private mutating func append(_ bytes: ArraySlice<UInt8>, origin: String?, offset: Int) {
        guard !bytes.isEmpty else { return }
        sources.append((regex.count, origin, offset))
        regex.append(contentsOf: bytes)
    }

    /// The definition (nil: the pattern) and offset in it that `offset` in `regex` came from.
    func origin(ofRegexOffset offset: Int) -> (String?, Int) {
        guard let source = sources.last(where: { $0.start <= offset }) else { return (nil, offset) }
        return (source.origin, source.offset + (offset - source.start))
    }

    static func place(_ origin: String?) -> String {
        origin.map { "grok pattern '\($0)'" } ?? "the pattern"
    }
}
