extension PipelineGraph {
    /// The graph as a Mermaid flowchart, left to right, for Markdown that renders it
    /// (GitHub, GitLab). Shapes as in `dot`: sources flags `> ]`, topics cylinders `[( )]`,
    /// transforms rounded `( )`, sinks double-sided `[[ ]]`; edges to a dead-letter topic dotted and
    /// red, a lookup's table edge dotted. Several pipelines are a subgraph each.
    ///
    /// Node ids are `n<index>` (Mermaid ids cannot hold the model's `:` and `/`); labels
    /// are quoted with Mermaid's entity codes for what would end or change them.
    public var mermaid: String {
        var lines = ["flowchart LR"]
        var short: [String: String] = [:]
        for (i, node) in nodes.enumerated() { short[node.id] = "n\(i)" }
        func declaration(_ node: Node) -> String {
            let text =
                node.kind == .topic || node.kind == .deadLetterTopic
                ? Self.mermaidText(node.label) : Self.mermaidText(node.label) + "<br>" + Self.mermaidText(node.type)
            let (open, close) =
                switch node.kind {
                case .source: (">", "]")
                case .topic, .deadLetterTopic: ("[(", ")]")
                case .transform: ("(", ")")
                case .sink: ("[[", "]]")
                }
            return "\(short[node.id]!)\(open)\"\(text)\"\(close)"
        }
        let clustered = pipelines.count > 1
        let home = clustered ? clusters : [:]
        for (number, pipeline) in pipelines.enumerated() where clustered {
            lines.append("    subgraph p\(number)[\"\(Self.mermaidText(pipeline.name))\"]")
            for node in nodes where home[node.id] == pipeline.name { lines.append("        " + declaration(node)) }
            lines.append("    end")
        }
        for node in nodes where home[node.id] == nil { lines.append("    " + declaration(node)) }
        var red: [Int] = []
        for (i, edge) in edges.enumerated() {
            let (from, to) = (short[edge.from]!, short[edge.to]!)
            switch edge.kind {
            case .data:
                let label = edge.label.map { "|\"\(Self.mermaidText($0))\"|" } ?? ""
                lines.append("    \(from) -->\(label) \(to)")
            case .table:
                lines.append("    \(from) -.->|\"table\"| \(to)")
            case .deadLetter:
                lines.append("    \(from) -.-> \(to)")
                red.append(i)
            }
        }
        let deadLetterNodes = nodes.indices.filter { nodes[$0].kind == .deadLetterTopic }
        if !deadLetterNodes.isEmpty {
            lines.append("    classDef deadLetter stroke:#d00,color:#d00")
            lines.append("    class \(deadLetterNodes.map { "n\($0)" }.joined(separator: ",")) deadLetter")
        }
        if !red.isEmpty { lines.append("    linkStyle \(red.map(String.init).joined(separator: ",")) stroke:#d00") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Text for inside a quoted Mermaid label: characters that would end the quote, start
    /// an entity, HTML or Markdown, or end an edge label, as `#<code>;` entity codes; a
    /// line break as `<br>`.
    static func mermaidText(_ text: String) -> String {
        var result = ""
        for character in text.unicodeScalars {
            switch character {
            case "\"", "#", "&", "<", ">", "|", "`":
                result += "#\(character.value);"
            case "\n": result += "<br>"
            case "\r": break
            default: result.unicodeScalars.append(character)
            }
        }
        return result
    }
}
