import Testing
import WeirTestSupport

@testable import WeirLog

@Suite("Partitioner")
struct PartitionerTests {
    /// Apache Kafka, clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java, testMurmur2.
    @Test(
        "murmur2 matches Kafka's Java client",
        arguments: [
            ("21", Int32(-973_932_308)),
            ("foobar", -790_332_482),
            ("a-little-bit-long-string", -985_981_536),
            ("a-little-bit-longer-string", -1_486_304_829),
            ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971),
            ("abc", 479_470_107),
        ])
    func javaVectors(input: String, expected: Int32) {
        #expect(Murmur2.hash(bytes(input)) == expected)
    }

    /// kafka-python, test/producer/test_partitioner.py, test_murmur2_java_compatibility (1000 partitions).
    @Test(
        "keyed partitions match kafka-python",
        arguments: [
            ([UInt8](), 681), (bytes("a"), 524), (bytes("ab"), 434), (bytes("abc"), 107),
            (bytes("123456789"), 566), ([0x00, 0x20], 742),
        ])
    func pythonVectors(key: [UInt8], expected: Int) {
        let partition = key.withUnsafeBytes { Partitioner.partition(forKey: $0, partitionCount: 1000) }
        #expect(partition == expected)
    }

    @Test("toPositive clears the sign bit rather than taking abs")
    func toPositive() {
        #expect(Murmur2.toPositive(-1) == Int32.max)
        #expect(Murmur2.toPositive(Int32.min) == 0)
        #expect(Murmur2.toPositive(5) == 5)
    }

    @Test("unkeyed records are spread evenly")
    func roundRobin() {
        var partitioner = Partitioner(partitionCount: 4)
        var counts = [0, 0, 0, 0]
        for _ in 0..<1000 { counts[partitioner.partition(forKey: nil)] += 1 }
        #expect(counts == [250, 250, 250, 250])
    }
}
