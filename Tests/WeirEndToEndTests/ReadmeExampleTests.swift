import Foundation
import Testing
import WeirTestSupport

/// The README's first command, run as written (but for the build and the folder it
/// writes to), twice: what it prints is what the README quotes.
@Suite("The README's example")
struct ReadmeExampleTests {
    /// The README's example: its command and the two outputs it quotes.
    struct Example {
        var command: String
        var firstRun: [String]
        var secondRun: [String]

        init() throws {
            let readme = try String(contentsOfFile: Paths.packageRoot + "/README.md", encoding: .utf8)
            let section = try #require(readme.components(separatedBy: "**Run an example pipeline**").dropFirst().first)
            let blocks = section.components(separatedBy: "```").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
            try #require(blocks.count >= 3, "the README's example needs a command and two outputs")
            command = try #require(blocks[0].split(separator: "\n").dropFirst().first.map(String.init))
            firstRun = blocks[1].split(separator: "\n").map(String.init)
            secondRun = blocks[2].split(separator: "\n").map(String.init)
        }
    }

    /// Runs `command` with `sh` in the package root; stdout and stderr in one stream (the
    /// summary line is on stderr), log lines (which start with a date) left out.
    func runShell(_ command: String) throws -> (status: Int32, lines: [String]) {
        let result = try run("/bin/sh", ["-c", "cd '\(Paths.packageRoot)' && { \(command) ; } 2>&1"])
        let lines = result.stdoutText.split(separator: "\n").map(String.init)
            .filter { $0.range(of: #"^\d{4}-\d\d-\d\dT"#, options: .regularExpression) == nil }
        return (result.status, lines)
    }

    /// A JSON line with its `_timestamp` (when the line was read) blanked.
    func withoutTimestamp(_ line: String) -> String {
        line.replacingOccurrences(of: #"^\{"_timestamp":\d+,"#, with: #"{"_timestamp":_,"#, options: .regularExpression)
    }

    @Test("the README's command prints what the README says, and run again reads and writes nothing twice")
    func readmeCommand() throws {
        let example = try Example()
        let prefix = "scripts/bootstrap && swift build -c release && .build/release/weir "
        #expect(example.command.hasPrefix(prefix), "the README's command changed shape: \(example.command)")
        let directory = TemporaryDirectory()
        // The test's own weir (debug, already built), and a folder of the test's own.
        let command =
            "WEIR_OUT='\(directory.path)' '\(Paths.weir)' "
            + example.command.dropFirst(prefix.count).replacingOccurrences(of: "/tmp/weir-examples", with: directory.path)

        let first = try runShell(command)
        #expect(first.status == 0, "\(first.lines)")
        let quoted = example.firstRun.map { $0.replacingOccurrences(of: "/tmp/weir-examples", with: directory.path) }
        #expect(first.lines.map(withoutTimestamp) == quoted.map(withoutTimestamp))

        let second = try runShell(command)
        #expect(second.status == 0, "\(second.lines)")
        let quotedAgain = example.secondRun.map { $0.replacingOccurrences(of: "/tmp/weir-examples", with: directory.path) }
        #expect(second.lines.map(withoutTimestamp) == quotedAgain.map(withoutTimestamp))
        // The file was not touched: the very same lines, timestamps and all.
        #expect(Array(second.lines.dropFirst()) == Array(first.lines.dropFirst()))
        // And the README quotes the same file both times.
        #expect(Array(example.secondRun.dropFirst()) == Array(example.firstRun.dropFirst()))
    }

    @Test("a run whose output file holds someone else's data is refused before anything is appended")
    func refusedBeforeWriting() throws {
        let directory = TemporaryDirectory()
        let output = directory.path + "/ssh-failed-logins.jsonl"
        try Data("not ours\n".utf8).write(to: URL(fileURLWithPath: output))
        let data = directory.path + "/data"
        let result = try runPipeline(
            at: Paths.packageRoot + "/pipelines/ssh-failed-logins.yaml", data: data, quiet: false,
            environment: ["WEIR_OUT": directory.path, "WEIR_SAMPLES": Paths.packageRoot + "/samples"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("sink 'report' would write \(output), which already holds data this pipeline did not write"))
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "not ours\n")
        // Not one record in any topic: the refusal came before the sources started.
        for topic in ["ssh_raw", "failed_by_ip"] {
            let described = try weir(data, ["topics", "describe", topic, "--format", "json"])
            guard described.status == 0 else { continue }  // not even created
            let object = try #require(try JSONSerialization.jsonObject(with: described.stdout) as? [String: Any])
            let partitions = try #require(object["partitions"] as? [[String: Any]])
            #expect(partitions.allSatisfy { ($0["end_offset"] as? Int) == 0 }, "\(topic): \(described.stdoutText)")
        }
    }
}
