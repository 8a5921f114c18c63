/// A member's batch before it is written: as read, and, when it was read ahead for an
/// output whose member `transformsAhead`, through the transforms that keep no state.
struct PreparedBatch {
    var fetched: FetchedBatch
    var ahead: TransformGraph.Ahead?
}
