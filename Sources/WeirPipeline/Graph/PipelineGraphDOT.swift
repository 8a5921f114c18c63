extension PipelineGraph {
    /// The graph in Graphviz's DOT language, left to right: `weir graph FILE | dot -Tsvg`.
    /// Sources are `cds` (a flag pointing on), topics cylinders, transforms rounded boxes,
    /// sinks double boxes; a dead-letter topic and the edges to it are red, those edges
    /// dashed and of no weight (they would pull the main flow out of line); a lookup's
    /// table edge is dotted. Several pipelines are a cluster each; topics, which they
    /// share, stay outside.
    public var dot: String {
        var lines = [
            "digraph weir {", "  rankdir=LR;", "  graph [fontname=\"Helvetica\"];", "  node [fontname=\"Helvetica\", fontsize=11];",
            "  edge [fontname=\"Helvetica\", fontsize=10];",
        ]
        if pipelines.count == 1 {
            lines.append("  label=\(Self.dotQuoted(pipelines[0].name)); labelloc=t;")
        }
        let clustered = pipelines.count > 1
        let home = clustered ? clusters : [:]
        for (number, pipeline) in pipelines.enumerated() where clustered {
            lines.append("  subgraph \"cluster_\(number)\" {")
            lines.append("    label=\(Self.dotQuoted(pipeline.name));")
            for node in nodes where home[node.id] == pipeline.name { lines.append("    " + Self.dotNode(node)) }
            lines.append("  }")
        }
        for node in nodes where home[node.id] == nil { lines.append("  " + Self.dotNode(node)) }
        for edge in edges {
            var attributes: [String] = []
            if let label = edge.label { attributes.append("label=\(Self.dotQuoted(label))") }
            switch edge.kind {
            case .data: break
            case .table: attributes += ["style=dotted", "label=\"table\""]
            case .deadLetter: attributes += ["style=dashed", "color=red", "weight=0"]
            }
            let suffix = attributes.isEmpty ? "" : " [\(attributes.joined(separator: ", "))]"
            lines.append("  \(Self.dotQuoted(edge.from)) -> \(Self.dotQuoted(edge.to))\(suffix);")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    static func dotNode(_ node: Node) -> String {
        let label = node.kind == .topic || node.kind == .deadLetterTopic ? dotQuoted(node.label) : dotQuoted(node.label, node.type)
        let style =
            switch node.kind {
            case .source: "shape=cds"
            case .topic: "shape=cylinder"
            case .transform: "shape=box, style=rounded"
            case .sink: "shape=box, peripheries=2"
            case .deadLetterTopic: "shape=cylinder, color=red, fontcolor=red"
            }
        return "\(dotQuoted(node.id)) [label=\(label), \(style)];"
    }

    /// Lines as one DOT string: backslashes and quotes escaped (a backslash would start a
    /// Graphviz escape like `\N`), line breaks as `\n`.
    static func dotQuoted(_ lines: String...) -> String {
        let escaped = lines.map { line in
            var text = ""
            for character in line.unicodeScalars {
                switch character {
                case "\\": text += "\\\\"
                case "\"": text += "\\\""
                case "\n": text += "\\n"
                case "\r": break
                default: text.unicodeScalars.append(character)
                }
            }
            return text
        }
        return "\"" + escaped.joined(separator: "\\n") + "\""
    }
}
