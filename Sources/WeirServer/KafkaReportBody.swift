/// The body of `GET /api/kafka`: `"serving"`, and beside it the fields of the Kafka
/// listener's report (`clients`, `groups`) when one serves.
struct KafkaReportBody: Encodable {
    /// The listener's report (WeirKafka's `KafkaClientsReport`); nil: no listener.
    var report: (any Encodable & Sendable)?

    private enum Keys: String, CodingKey {
        case serving
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(report != nil, forKey: .serving)
        // Into the same object, as a subclass's fields join its superclass's.
        try report?.encode(to: encoder)
    }
}
