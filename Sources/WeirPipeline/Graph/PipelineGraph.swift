/// The shape of one or more pipelines: their sources, transforms and sinks, the topics
/// between them and the dead-letter topics, with a layered layout. `weir graph` draws it
/// (DOT, Mermaid) and `GET /api/graph` serves it as JSON to the web console.
///
/// Field names are single words so the JSON is the same whatever key strategy encodes
/// it (the operations endpoint converts to snake case): `pipelines[]` (`name`, `file`),
/// `nodes[]` (`id`, `kind`, `type`, `label`, `pipeline`, `rank`, `order`) and `edges[]`
/// (`from`, `to`, `kind`, `label`). Everything is deterministic for the same files, so a
/// drawing does not move between two fetches.
public struct PipelineGraph: Codable, Sendable, Equatable {
    public var pipelines: [Pipeline]
    /// Sorted by rank, then by order within the rank.
    public var nodes: [Node]
    /// In the order the files declare them.
    public var edges: [Edge]

    public struct Pipeline: Codable, Sendable, Equatable {
        public var name: String
        public var file: String
    }

    public struct Node: Codable, Sendable, Equatable {
        /// `source:<pipeline>/<id>`, `transform:…`, `sink:…` for components (ids are unique
        /// only within a pipeline); `topic:<name>` for topics, which all pipelines of a run
        /// share in one log, so a topic sink of one pipeline meets the source topic of
        /// another; a dead-letter topic is `topic:<pipeline>.dlq`.
        public var id: String
        public var kind: NodeKind
        /// The component's `type:`; `topic` for a topic; `dead_letter` for a dead-letter topic.
        public var type: String
        /// The component's id or the topic's name.
        public var label: String
        /// The pipeline of a component or of a dead-letter topic; absent for topics.
        public var pipeline: String?
        /// The column, left to right: the longest path from a node with nothing before it.
        public var rank: Int
        /// The position within the column, top to bottom, from 0.
        public var order: Int
    }

    public enum NodeKind: String, Codable, Sendable, CaseIterable {
        case source, topic, transform, sink
        case deadLetterTopic = "dead_letter_topic"
    }

    public struct Edge: Codable, Sendable, Equatable {
        public var from: String
        public var to: String
        public var kind: EdgeKind
        /// The case of a route's output (`<route>.<case>`) the edge carries.
        public var label: String?
    }

    public enum EdgeKind: String, Codable, Sendable, CaseIterable {
        /// Records flow along it.
        case data
        /// A `lookup` transform reads the topic as its table.
        case table
        /// Records the component fails or refuses go to the pipeline's dead-letter topic.
        case deadLetter = "dead_letter"
    }

    public init(pipelines: [Pipeline], nodes: [Node], edges: [Edge]) {
        self.pipelines = pipelines
        self.nodes = nodes
        self.edges = edges
    }

    public func node(_ id: String) -> Node? { nodes.first { $0.id == id } }

    /// The built-in sinks that write every record they are given (a failure to write
    /// stops the run): none of them sends anything to the dead-letter topic, so the graph
    /// draws no dead-letter edge from them. The others (`postgres`, `http`, `kafka`,
    /// plugins) dead-letter what their output refuses.
    public static let sinksWritingEverything: Set<String> = ["file", "stdout", "blackhole", "topic"]

    /// The node id of component `id` of `pipeline`, a `source`, `transform` or `sink`
    /// (`kind`): what the console matches the samples of `/api/history` and
    /// `/api/events` to.
    public static func componentID(kind: String, pipeline: String, id: String) -> String { "\(kind):\(pipeline)/\(id)" }
}
