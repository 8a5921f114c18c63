// weir-bench: ingest and read throughput of the embedded log, for Benchmarks/run.
//
//   weir-bench ingest --file F --data-dir D [--topic T] [--partitions 4]
//                     [--compression none|gzip] [--level L] [--flush pagecache|interval|always]
//                     [--interval-ms MS]
//   weir-bench read   --data-dir D [--topic T]
//
// Each prints one machine-readable line on standard output, e.g.
//   ingest records=1000000 bytes=238978406 seconds=1.234567 cpu_seconds=2.1 maxrss_kib=23456 ...
// `bytes` is the input size (ingest) or the value bytes read plus one per record (read:
// the size of the original lines with their newlines), so both rates compare with the file.
// `close_seconds` is the part of `seconds` spent in `log.close()` (final fsyncs, indexes).
// `cpu_seconds` is user + system CPU time of the whole process over the timed part.
// `maxrss_kib` is getrusage(RUSAGE_SELF).ru_maxrss: the whole process's peak resident set.

import WeirLog

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: Arguments

struct UsageError: Error, CustomStringConvertible {
    var description: String
}

let usage = """
    usage: weir-bench ingest --file F --data-dir D [--topic T] [--partitions N] \
    [--compression none|gzip] [--level 1-9] [--flush pagecache|interval|always] [--interval-ms MS]
           weir-bench read --data-dir D [--topic T]
    """

/// `--name value` pairs after the subcommand.
func parseOptions(_ arguments: ArraySlice<String>, allowed: Set<String>) throws -> [String: String] {
    var options: [String: String] = [:]
    var rest = arguments[...]
    while let name = rest.popFirst() {
        var key = name
        var value: String?
        if let equals = name.firstIndex(of: "=") {
            key = String(name[..<equals])
            value = String(name[name.index(after: equals)...])
        }
        guard key.hasPrefix("--"), allowed.contains(String(key.dropFirst(2))) else {
            throw UsageError(description: "unknown option \(name)")
        }
        if value == nil {
            guard let next = rest.popFirst() else { throw UsageError(description: "\(key) needs a value") }
            value = next
        }
        options[String(key.dropFirst(2))] = value
    }
    return options
}

func required(_ options: [String: String], _ name: String) throws -> String {
    guard let value = options[name] else { throw UsageError(description: "--\(name) is required") }
    return value
}

func integer(_ options: [String: String], _ name: String, default fallback: Int) throws -> Int {
    guard let text = options[name] else { return fallback }
    guard let value = Int(text) else { throw UsageError(description: "--\(name) must be an integer, got \(text)") }
    return value
}

// MARK: Measuring

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

struct Usage {
    var maxRSSKiB: Int
    var cpuSeconds: Double

    static func current() -> Usage {
        var usage = rusage()
        #if canImport(Glibc)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        // Linux reports ru_maxrss in KiB (macOS in bytes).
        #if canImport(Darwin)
        let rss = Int(usage.ru_maxrss) / 1024
        #else
        let rss = Int(usage.ru_maxrss)
        #endif
        return Usage(maxRSSKiB: rss, cpuSeconds: user + system)
    }
}

func format(_ value: Double) -> String {
    let scaled = (value * 1e6).rounded() / 1e6
    return "\(scaled)"
}

// MARK: Subcommands

func ingest(_ options: [String: String]) throws {
    let file = try required(options, "file")
    let directory = try required(options, "data-dir")
    let topicName = options["topic"] ?? "bench"
    let partitions = try integer(options, "partitions", default: 4)
    let compressionName = options["compression"] ?? "none"
    guard let compression = CompressionCodec(name: compressionName) else {
        throw UsageError(description: "--compression must be none or gzip, got \(compressionName)")
    }
    let level = try integer(options, "level", default: 1)
    let flushName = options["flush"] ?? "pagecache"
    guard let flush = FlushPolicy(rawValue: flushName) else {
        throw UsageError(description: "--flush must be pagecache, interval or always, got \(flushName)")
    }
    var config = TopicConfig(partitions: partitions, compression: compression, compressionLevel: level, flush: flush)
    if let intervalText = options["interval-ms"] {
        guard let interval = Int64(intervalText) else { throw UsageError(description: "--interval-ms must be an integer") }
        config.flushIntervalMs = interval
    }

    var status = stat()
    guard stat(file, &status) == 0 else { throw UsageError(description: "cannot stat \(file): \(String(cString: strerror(errno)))") }
    let inputBytes = Int(status.st_size)

    let log = try EmbeddedLog(directory: directory)
    let topic = try log.createTopic(topicName, config: config)

    let cpuStart = Usage.current().cpuSeconds
    let start = now()
    let fd = open(file, O_RDONLY)
    guard fd >= 0 else { throw UsageError(description: "cannot open \(file): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    let producer = try Producer(topic: topic)
    let summary = try LineProducer(producer: producer).run(fd: fd)
    let closeStart = now()
    try log.close()
    let end = now()
    let seconds = end - start

    let usage = Usage.current()
    let cpuSeconds = usage.cpuSeconds - cpuStart
    print(
        "ingest records=\(summary.lines) bytes=\(inputBytes) value_bytes=\(summary.bytes) seconds=\(format(seconds))"
            + " close_seconds=\(format(end - closeStart)) cpu_seconds=\(format(cpuSeconds)) maxrss_kib=\(usage.maxRSSKiB)"
            + " partitions=\(partitions) compression=\(compression) level=\(level) flush=\(flush.rawValue)")
}

func read(_ options: [String: String]) throws {
    let directory = try required(options, "data-dir")
    let topicName = options["topic"] ?? "bench"

    let openStart = now()
    let log = try EmbeddedLog(directory: directory)
    let topic = try log.topic(topicName)
    let openSeconds = now() - openStart

    var records = 0
    var valueBytes = 0
    var check: UInt64 = 0  // touches every record's first and last byte, so nothing is skipped
    var storedBytes: Int64 = 0
    let cpuStart = Usage.current().cpuSeconds
    let start = now()
    for partition in topic.partitions {
        storedBytes += try partition.sizeInBytes
        var reader = PartitionReader(partition: partition, from: try partition.startOffset)
        try reader.read(upTo: try partition.endOffset) { record in
            records += 1
            if let value = record.value, let first = value.first, let last = value.last {
                valueBytes += value.count
                check = check &* 31 &+ UInt64(first) &+ UInt64(last) &<< 8
            }
            return true
        }
    }
    let seconds = now() - start
    let usage = Usage.current()
    let cpuSeconds = usage.cpuSeconds - cpuStart
    try log.close()

    print(
        "read records=\(records) bytes=\(valueBytes + records) value_bytes=\(valueBytes) seconds=\(format(seconds))"
            + " open_seconds=\(format(openSeconds)) cpu_seconds=\(format(cpuSeconds)) maxrss_kib=\(usage.maxRSSKiB)"
            + " stored_bytes=\(storedBytes) partitions=\(topic.partitions.count) check=\(String(check, radix: 16))")
}

// MARK: Main

let arguments = CommandLine.arguments.dropFirst()
do {
    switch arguments.first {
    case "ingest":
        try ingest(
            try parseOptions(
                arguments.dropFirst(),
                allowed: [
                    "file", "data-dir", "topic", "partitions", "compression", "level", "flush", "interval-ms",
                ]))
    case "read":
        try read(try parseOptions(arguments.dropFirst(), allowed: ["data-dir", "topic"]))
    case "-h", "--help", "help":
        print(usage)
    default:
        throw UsageError(description: "expected a subcommand: ingest or read")
    }
} catch let error as UsageError {
    var message = "weir-bench: \(error)\n\(usage)\n"
    message.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    exit(2)
} catch {
    var message = "weir-bench: \(error)\n"
    message.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    exit(1)
}
