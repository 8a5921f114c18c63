extension PipelineGraph {
    /// Where a drawing of several pipelines puts each node: the pipeline of a component or
    /// a dead-letter topic, and of a topic that only one pipeline's components write or
    /// read; a topic several pipelines share is in none (it is the link between them).
    /// Graphviz lays out a cluster's inside by itself, so a topic left outside its only
    /// pipeline would be drawn apart from it.
    var clusters: [String: String] {
        var pipelinesOf: [String: Set<String>] = [:]
        let pipelineOf = Dictionary(
            nodes.compactMap { node in node.pipeline.map { (node.id, $0) } }, uniquingKeysWith: { first, _ in first })
        for edge in edges {
            if let pipeline = pipelineOf[edge.from] { pipelinesOf[edge.to, default: []].insert(pipeline) }
            if let pipeline = pipelineOf[edge.to] { pipelinesOf[edge.from, default: []].insert(pipeline) }
        }
        var result = pipelineOf
        for node in nodes where node.pipeline == nil {
            if let only = pipelinesOf[node.id], only.count == 1 { result[node.id] = only.first }
        }
        return result
    }
}
