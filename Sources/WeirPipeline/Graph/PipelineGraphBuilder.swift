import WeirValues

extension PipelineGraph {
    /// The graph of validated pipelines that run together (on one log): inputs resolve as
    /// the loader resolves them, a declared topic first, then a transform's output.
    ///
    /// Dead-letter edges go to `<pipeline>.dlq` from every transform whose `on_error` is
    /// `dlq` (the default), from every source, and from every sink but those that write
    /// whatever they are given (`sinksWritingEverything`): they send there what they
    /// cannot append or the output refuses (a line too long, a row the database rejects).
    public init(_ definitions: [PipelineDefinition]) {
        var builder = Builder()
        for definition in definitions { builder.add(definition) }
        let layout = PipelineGraphLayout(
            nodeCount: builder.nodes.count, edges: builder.edges.map { (builder.index[$0.from]!, builder.index[$0.to]!) },
            last: Set(builder.nodes.indices.filter { builder.nodes[$0].kind == .deadLetterTopic }))
        var nodes = builder.nodes
        for i in nodes.indices { (nodes[i].rank, nodes[i].order) = (layout.rank[i], layout.order[i]) }
        nodes.sort { ($0.rank, $0.order) < ($1.rank, $1.order) }
        self.init(pipelines: definitions.map { Pipeline(name: $0.name, file: $0.file) }, nodes: nodes, edges: builder.edges)
    }

    /// Nodes in the order first met (the files' order), edges without repeats.
    private struct Builder {
        var nodes: [Node] = []
        var index: [String: Int] = [:]
        var edges: [Edge] = []
        var edgeKeys = Set<String>()

        mutating func node(_ id: String, _ kind: NodeKind, type: String, label: String, pipeline: String?) -> String {
            if let i = index[id] {
                // A topic another pipeline reads may turn out to be a dead-letter topic.
                if kind == .deadLetterTopic { (nodes[i].kind, nodes[i].type, nodes[i].pipeline) = (kind, type, pipeline) }
                return id
            }
            index[id] = nodes.count
            nodes.append(Node(id: id, kind: kind, type: type, label: label, pipeline: pipeline, rank: 0, order: 0))
            return id
        }

        mutating func topic(_ name: String) -> String {
            node("topic:" + name, .topic, type: "topic", label: name, pipeline: nil)
        }

        mutating func edge(_ from: String, _ to: String, _ kind: EdgeKind, label: String? = nil) {
            let key = [from, to, kind.rawValue, label ?? ""].joined(separator: "\u{0}")
            guard edgeKeys.insert(key).inserted else { return }
            edges.append(Edge(from: from, to: to, kind: kind, label: label))
        }

        mutating func add(_ definition: PipelineDefinition) {
            let pipeline = definition.name
            func id(_ component: ComponentDefinition) -> String {
                PipelineGraph.componentID(kind: component.kind.rawValue, pipeline: pipeline, id: component.id)
            }
            var ids: [String: String] = [:]
            for component in definition.components {
                ids[component.id] = node(
                    id(component), NodeKind(component.kind), type: component.type, label: component.id, pipeline: pipeline)
                if component.kind == .source, let topic = component.topic { edge(ids[component.id]!, self.topic(topic), .data) }
            }
            let producerOf = Checker.transformOutputs(definition.components)
            for component in definition.components where component.kind != .source {
                let to = ids[component.id]!
                for input in component.inputs {
                    if definition.topics[input] == nil, let producer = producerOf[input], let from = ids[producer] {
                        edge(from, to, .data, label: input == producer ? nil : String(input.dropFirst(producer.count + 1)))
                    } else {
                        edge(topic(input), to, .data)
                    }
                }
                if case .string(let name)? = component.options["topic"] {
                    if component.kind == .sink && component.type == "topic" { edge(to, topic(name), .data) }
                    if component.kind == .transform && component.type == "lookup" { edge(topic(name), to, .table) }
                }
            }
            for name in definition.topics.keys.sorted() { _ = topic(name) }
            let senders = definition.components.filter { component in
                switch component.kind {
                case .source: true
                case .transform: component.onError == "dlq"
                case .sink: !PipelineGraph.sinksWritingEverything.contains(component.type)
                }
            }
            guard !senders.isEmpty else { return }
            let name = pipeline + ".dlq"
            let deadLetters = node("topic:" + name, .deadLetterTopic, type: "dead_letter", label: name, pipeline: pipeline)
            for component in senders { edge(ids[component.id]!, deadLetters, .deadLetter) }
        }
    }
}

extension PipelineGraph.NodeKind {
    init(_ kind: ComponentKind) {
        switch kind {
        case .source: self = .source
        case .transform: self = .transform
        case .sink: self = .sink
        }
    }
}
