import ArgumentParser
import WeirLog

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Check, repair and print the log's files.",
        subcommands: [Verify.self, Recover.self, Dump.self]
    )

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every batch's length and CRC and every index, without changing anything.",
            discussion: "Exits 0 when intact; otherwise prints each problem with its file and byte position and exits 1.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Only this topic.") var topic: String?

        func run() throws {
            let report = try LogVerifier(directory: global.resolvedDataDirectory).verify(topic: topic)
            for problem in report.problems { print(problem) }
            print(
                "\(report.segments) segments, \(report.batches) batches, \(report.records) records, \(report.bytes) bytes: "
                    + (report.problems.isEmpty ? "intact" : "\(report.problems.count) problem\(report.problems.count == 1 ? "" : "s")"))
            if !report.problems.isEmpty { throw ExitCode(1) }
        }
    }

    struct Recover: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open the log, which recovers it after an unclean stop (cuts torn tails, rebuilds indexes).")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let damage = try global.withLog { log in
                try log.topicNames.compactMap { try? log.topic($0) }.flatMap(\.partitions).flatMap { try $0.damage }
            }
            for problem in damage {
                print("\(problem.file) at byte \(problem.position): \(problem.reason); dropped \(problem.bytesDropped) bytes")
            }
            print(damage.isEmpty ? "nothing to repair" : "repaired \(damage.count) damaged segment\(damage.count == 1 ? "" : "s")")
        }
    }

    struct Dump: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the batches and records of a .log file, or the entries of an .index or .timeindex file, like kafka-dump-log.")
        @Argument(help: "A segment file.") var file: String
        @Flag(name: .customLong("no-payload"), help: "Leave out keys and values.") var noPayload = false

        func run() throws {
            let output = StandardOutput()
            let intact = try SegmentDump.dump(path: file, printPayload: !noPayload) { line in
                try? output.write(line + "\n")
            }
            do {
                try output.flush()
            } catch is StandardOutput.Closed {
                return  // the reader went away (`| head`): not an error
            }
            if !intact { throw ExitCode(1) }
        }
    }
}
