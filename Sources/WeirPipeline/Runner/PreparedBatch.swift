/// A member's batch before it is written: as read, and, when it was read ahead for an
/// output whose member `transformsAhead`, through the transforms that keep no state, or
/// made ready by an output that reads the JSON itself (`JSONObjectsWriter`).
struct PreparedBatch {
    var fetched: FetchedBatch
    var ahead: TransformGraph.Ahead?
    var encoded: (any Sendable)?

    init(fetched: FetchedBatch, ahead: TransformGraph.Ahead? = nil, encoded: (any Sendable)? = nil) {
        self.fetched = fetched
        self.ahead = ahead
        self.encoded = encoded
    }
}
