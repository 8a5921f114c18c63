import Foundation
import FuzzSupport
import WeirLog

/// Segment and index recovery: the fuzz input becomes a partition's segment file after
/// an unclean stop — opening the log must recover it, never trap, to a log that `weir log
/// verify` finds clean, that reads to its end and that takes a new append — or, when it
/// starts with 0xFF, a segment and a hostile offset index after a clean stop, which must
/// not trap either.
@_cdecl("FuzzRecovery_main")
public func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv) { data, count in fuzzRecovery(data, count) }
}

func fuzzRecovery(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    var bytes = Array(UnsafeBufferPointer(start: data, count: count))
    var index: [UInt8] = []
    if bytes.count > 2 && bytes[0] == 0xFF {
        let length = min(Int(bytes[1]), bytes.count - 2)
        index = Array(bytes[2..<(2 + length)])
        bytes = Array(bytes[(2 + length)...])
    }
    // In memory where there is /dev/shm: the log's fsyncs cost nothing there.
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm/" : NSTemporaryDirectory()
    let directory = base + "weir-fuzz-recovery-\(getpid())"
    try? FileManager.default.removeItem(atPath: directory)
    do {
        let log = try EmbeddedLog(directory: directory)
        _ = try log.createTopic("t", config: TopicConfig(partitions: 1))
        try log.close()
        let partition = directory + "/topics/t/0/"
        try Data(bytes).write(to: URL(fileURLWithPath: partition + "00000000000000000000.log"))
        if index.isEmpty {
            // An unclean stop: recovery scans the segment.
            try FileManager.default.removeItem(atPath: directory + "/.clean-shutdown")
        } else {
            // A clean stop with a hostile index: the index on disk is loaded and must be
            // checked against the segment, not followed.
            try Data(index).write(to: URL(fileURLWithPath: partition + "00000000000000000000.index"))
        }
    } catch {
        fatalError("setting up: \(error)")
    }
    do {
        let log = try EmbeddedLog(directory: directory)
        let topic = try log.topic("t")
        let partition = topic.partitions[0]
        var reader = PartitionReader(partition: partition, from: try partition.startOffset)
        try reader.read(upTo: try partition.endOffset) { _ in true }
        let producer = try Producer(topic: topic)
        try producer.send(Record(value: Array("after recovery".utf8), timestamp: 0))
        try producer.flush()
        try log.close()
    } catch {
        // Refusing the directory with an error is an outcome; trapping is not.
        return 0
    }
    // After a clean stop the segment is trusted as it is (only an unclean stop scans it),
    // so only recovery's result must pass `log verify`.
    guard index.isEmpty else { return 0 }
    guard let report = try? LogVerifier(directory: directory).verify() else { fatalError("log verify could not read the recovered log") }
    if !report.problems.isEmpty { fatalError("recovery left problems: \(report.problems)") }
    return 0
}
