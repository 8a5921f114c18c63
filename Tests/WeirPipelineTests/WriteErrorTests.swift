import Foundation
import Testing
import WeirLog
import WeirValues

@testable import WeirPipeline

/// The sinks' files and checkpoints write through WeirLog's one write loop: a failed
/// write is one line naming the file. A FIFO makes `pwrite` fail (ESPIPE) on demand.
@Suite("write errors")
struct WriteErrorTests {
    let directory = FileManager.default.temporaryDirectory.path + "/weir-write-errors-\(UUID().uuidString)"

    func fifo(_ name: String) throws -> String {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/" + name
        try #require(mkfifo(path, 0o644) == 0)
        return path
    }

    @Test("a committed file that cannot be written fails with one line naming it")
    func committedFile() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try fifo("out.jsonl")
        let file = try CommittedFile(path: path, encoding: .text, committedLength: nil)
        let error = #expect(throws: WeirLogError.self) { try file.write([PipelineRecord(message: "x", timestamp: 1)]) }
        #expect(error?.description == "write \(path): Illegal seek")
    }

    @Test("a committed file shorter than its commit is refused with one line naming it")
    func cutOutside() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/out.txt"
        let first = try CommittedFile(path: path, encoding: .text, committedLength: nil)
        let committed = try first.write([PipelineRecord(message: "a line", timestamp: 1)])
        try FileManager.default.removeItem(atPath: path)
        let error = #expect(throws: PipelineError.self) { try CommittedFile(path: path, encoding: .text, committedLength: committed) }
        #expect(
            error?.description.hasPrefix("\(path) holds 0 bytes but 7 were committed to it; it was cut or replaced outside Weir") == true)
        #expect(error?.description.contains("\n") == false)
    }

    @Test("a checkpoint that cannot be written fails with one line naming it, and nothing counts as committed")
    func slottedCheckpoint() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try fifo("sink-out.checkpoint")
        let store = try SlottedCheckpoint(path: path)
        let error = #expect(throws: WeirLogError.self) { try store.write(Array("offsets".utf8)) }
        #expect(error?.description == "write \(path): Illegal seek")
        #expect(store.read() == nil)
    }

    @Test("the file sink's listing of the files it creates fails with one line naming the list")
    func listing() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let text = "topics:\n  raw: {}\nsinks:\n  out: { type: file, inputs: [raw], path: \"\(directory)/out.txt\" }\n"
        let definition = try #require(PipelineLoader(environment: [:]).load(text: text, file: "p.yaml", defaultName: "p").definition)
        let list = directory + "/sink-out.files"
        let sink = try FileSink(
            options: ComponentOptions(try #require(definition.component("out")), pipeline: "p"), saved: nil,
            checkpointPath: directory + "/sink-out.checkpoint", createdPath: list)
        // The list becomes a FIFO once the sink has read it, with a reader, so opening it
        // to write does not wait for one.
        _ = try fifo("sink-out.files")
        let reader = open(list, O_RDONLY | O_NONBLOCK)
        try #require(reader >= 0)
        defer { close(reader) }
        var checkpoint = SinkCheckpoint()
        let error = #expect(throws: WeirLogError.self) {
            try sink.write([PipelineRecord(message: "x", timestamp: 1)], checkpoint: &checkpoint)
        }
        #expect(error?.description == "write \(list): Illegal seek")
        #expect(!FileManager.default.fileExists(atPath: directory + "/out.txt"), "nothing is written to a file that is not listed")
    }
}
