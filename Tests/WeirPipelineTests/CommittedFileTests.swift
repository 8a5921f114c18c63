import Foundation
import Testing
import WeirValues

@testable import WeirPipeline

@Suite("committed file")
struct CommittedFileTests {
    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.path + "/weir-sink-\(UUID().uuidString)/out.jsonl"
    }

    @Test("json lines carry the fields and the timestamp; text lines the message")
    func encodings() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
        let record = PipelineRecord(
            timestamp: 1_700_000_000_000,
            fields: [
                "message": .string("Failed \"password\"\tfor root"), "pid": .int(24200), "ok": .bool(false), "tags": .array([.string("a")]),
            ])
        let json = try CommittedFile(path: path, encoding: .json, committedLength: nil)
        try json.write([record])
        let line = try String(contentsOfFile: path, encoding: .utf8)
        // `_timestamp` first, then the fields in the order they were set (not sorted).
        #expect(
            line == #"{"_timestamp":1700000000000,"message":"Failed \"password\"\tfor root","pid":24200,"ok":false,"tags":["a"]}"# + "\n")
        let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        #expect(parsed?["message"] as? String == "Failed \"password\"\tfor root")

        let textPath = path + ".txt"
        let text = try CommittedFile(path: textPath, encoding: .text, committedLength: nil)
        try text.write([record, PipelineRecord(timestamp: 1, fields: ["n": .int(1)])])
        #expect(try String(contentsOfFile: textPath, encoding: .utf8) == "Failed \"password\"\tfor root\n{\"n\":1}\n")
    }

    @Test("reopening at the committed length cuts what a crashed run wrote after its last commit")
    func truncatesUncommitted() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
        let first = try CommittedFile(path: path, encoding: .text, committedLength: nil)
        let committed = try first.write((0..<3).map { PipelineRecord(message: "line \($0)", timestamp: 1) })
        // Written and fsynced, but the run dies before committing these:
        try first.write((3..<5).map { PipelineRecord(message: "line \($0)", timestamp: 1) })
        let again = try CommittedFile(path: path, encoding: .text, committedLength: committed)
        #expect(again.length == committed)
        try again.write((3..<5).map { PipelineRecord(message: "line \($0)", timestamp: 1) })
        #expect(try String(contentsOfFile: path, encoding: .utf8) == (0..<5).map { "line \($0)\n" }.joined())
    }
}
