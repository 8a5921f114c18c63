import Foundation
import Testing
import WeirLog

@testable import WeirPipeline

@Suite("Sink checkpoint")
struct SinkCheckpointTests {
    @Test("a checkpoint written with \"topic/partition\" offset keys loads, and is written back the same way")
    func offsetKeys() throws {
        // As earlier versions wrote it (a topic name may hold dots and dashes; the partition follows the last slash).
        let saved = #"{"length":12,"offsets":{"access/0":120,"access/3":7,"app.logs-v2/1":42},"incarnations":{"access":"x1"}}"#
        let checkpoint = try JSONDecoder().decode(SinkCheckpoint.self, from: Data(saved.utf8))
        #expect(
            checkpoint.offsets == [
                TopicPartition(topic: "access", partition: 0): 120,
                TopicPartition(topic: "access", partition: 3): 7,
                TopicPartition(topic: "app.logs-v2", partition: 1): 42,
            ])
        #expect(checkpoint.length == 12)
        let written = try JSONSerialization.jsonObject(with: JSONEncoder().encode(checkpoint)) as? [String: Any]
        let offsets = try #require(written?["offsets"] as? [String: Int])
        #expect(offsets == ["access/0": 120, "access/3": 7, "app.logs-v2/1": 42])
    }

    @Test("an offset key without a partition number is refused, not guessed")
    func badKey() {
        let saved = #"{"length":0,"offsets":{"access":1}}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(SinkCheckpoint.self, from: Data(saved.utf8)) }
    }
}
