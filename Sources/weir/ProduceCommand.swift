import ArgumentParser
import WeirLog

struct ProduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Append every line of standard input to a topic as one record.",
        discussion: """
            A line ends at \\n or \\r\\n (neither is stored); a last line without a newline counts too. \
            Lines are batched; the command exits 0 once everything it read is appended \
            (and as durable as the topic's flush policy promises).
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The topic to append to.") var topic: String
    @Option(help: "Use this text as every record's key.") var key: String?
    @Option(name: .customLong("key-field"), help: "Take each record's key from this top-level field of the JSON line.")
    var keyField: String?
    @Option(help: "Append everything to this partition instead of partitioning by key.") var partition: Int?
    @Flag(name: .customLong("print-offsets"), help: "After each acknowledged append print: partition, base offset, record count.")
    var printOffsets = false

    func validate() throws {
        if key != nil && keyField != nil { throw ValidationError("use --key or --key-field, not both") }
    }

    func run() throws {
        let summary = try global.withLog { log -> LineProducer.Summary in
            let producer = try Producer(topic: try log.topic(topic), partition: partition)
            if printOffsets {
                let output = StandardOutput()
                producer.onAppend = { result in
                    try? output.write("\(result.partition) \(result.baseOffset) \(result.count)\n")
                    try? output.flush()
                }
            }
            let source: LineProducer.KeySource = key.map { .fixed(Array($0.utf8)) } ?? keyField.map { .jsonField($0) } ?? .none
            return try LineProducer(producer: producer, key: source).run(fd: 0)
        }
        if summary.linesWithoutKey > 0 {
            printError("weir: warning: \(summary.linesWithoutKey) of \(summary.lines) lines had no field '\(keyField ?? "")' (or were not JSON objects) and were appended with a null key")
        }
    }
}

func printError(_ text: String) {
    var standardError = StandardError()
    print(text, to: &standardError)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var text = string
        text.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}

import Glibc
