import Foundation
import SystemPackage
import WeirLog
import WeirValues

/// The `file` sink: exactly once. Lines are written, fsynced (`sync`), then the runner
/// commits every file's length with the input offsets; a restart cuts each file back to
/// its committed length (each file is a `CommittedFile`).
///
/// `path` may hold placeholders from the record timestamp (UTC): `%Y %m %d %H %M %S`, and
/// `%%` for a percent sign. With `max_bytes`, a file that reached that size is continued
/// in `<file>.1`, then `<file>.2`, …: files are never renamed, so a commit stays true.
///
/// A file is listed (durably, in `sink-<id>.files`) before the sink first writes to it,
/// so after a crash a file it created but never committed is known as its own and cut to
/// nothing, while a file it never listed that holds data is refused, never overwritten.
final class FileSink: ValueLinesWriter {
    var offsetsOnlyInCheckpoint: Bool { true }
    let template: PathTemplate
    let encoding: RecordEncoding
    let maxBytes: UInt64?
    let component: String
    private let createdPath: String
    private var created: Set<String>
    /// Open files, by path; at most `maxOpen` that hold nothing unsynced are kept.
    private var open: [String: CommittedFile] = [:]
    private var unsynced = Set<String>()
    private var spareBuffer: [UInt8] = []
    private let maxOpen = 16

    init(options: ComponentOptions, saved: SinkCheckpoint?, checkpointPath: String, createdPath: String) throws {
        let path = try options.required("path")
        if let committed = saved?.path, committed != path {
            throw PipelineError(
                description:
                    "sink '\(options.id)' wrote \(committed) before and now points at \(path); remove \(checkpointPath) to start the new file from the beginning"
            )
        }
        template = try PathTemplate(path)
        encoding = options.choice("encoding", default: RecordEncoding.json)
        maxBytes = options.int("max_bytes").map(UInt64.init)
        component = options.id
        self.createdPath = createdPath
        let listed = (try? String(contentsOfFile: createdPath, encoding: .utf8)) ?? ""
        created = Set(listed.split(separator: "\n").map(String.init))
        // Cut every file back to what was committed (nothing, for one listed but never committed).
        let committed = Self.committedFiles(saved)
        for file in created.union(committed.keys) where FileManager.default.fileExists(atPath: file) {
            _ = try CommittedFile(path: file, encoding: .json, committedLength: committed[file] ?? 0)
        }
        // A fixed path is checked now, before any source of the pipeline appends, so a
        // refused run writes nothing anywhere (a dated path can only be checked at its first write).
        if !template.hasPlaceholders, committed[path] == nil { try refuseForeignData(at: path) }
    }

    /// Refuses a file this sink never listed that already holds data: it belongs to
    /// someone else, and writing after it (or cutting it back) would corrupt it.
    private func refuseForeignData(at path: String) throws {
        guard !created.contains(path),
            let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? UInt64, size > 0
        else { return }
        throw PipelineError(
            description: "sink '\(component)' would write \(path), which already holds data this pipeline did not write; move it away first"
        )
    }

    /// Committed lengths by file, from either checkpoint shape.
    static func committedFiles(_ checkpoint: SinkCheckpoint?) -> [String: UInt64] {
        guard let checkpoint else { return [:] }
        if let files = checkpoint.files { return files }
        return checkpoint.path.map { [$0: checkpoint.length] } ?? [:]
    }

    func write(_ records: [PipelineRecord], checkpoint: inout SinkCheckpoint) throws {
        // Read where they are (through the buffer, not copied out one by one).
        try records.withUnsafeBufferPointer { records in
            try write(lines: EncodedRecords(records: records, encoding: encoding), checkpoint: &checkpoint)
        }
    }

    var writesValuesAsLines: Bool { encoding == .text }

    func write(values: ValueLines, checkpoint: inout SinkCheckpoint) throws {
        try write(lines: values, checkpoint: &checkpoint)
    }

    private func write(lines: some SinkLines, checkpoint: inout SinkCheckpoint) throws {
        var files = Self.committedFiles(checkpoint)
        var rotation = checkpoint.rotation ?? [:]
        // Records are encoded into one buffer while they go to the same file; it is
        // written out when the path changes (a new day, a rotation) and at the end.
        var currentPath = ""
        // The buffer of the last batch, reused: its pages are already mapped.
        var buffer = spareBuffer
        buffer.removeAll(keepingCapacity: true)
        defer { spareBuffer = buffer }
        func flush() throws {
            guard !currentPath.isEmpty, !buffer.isEmpty else { return }
            let target = try file(currentPath, committed: files[currentPath] ?? 0)
            files[currentPath] = try target.append(bytes: buffer)
            unsynced.insert(currentPath)
            buffer.removeAll(keepingCapacity: true)
        }
        // The path is worked out again only when the line's second differs from the last
        // one's (a rotation within the second moves `currentPath` itself).
        var second = Int64.min
        var scratch = JSONObjectScratch()
        var base = ""
        for i in 0..<lines.count {
            let timestamp = lines.timestamp(i)
            if timestamp / 1000 != second {
                second = timestamp / 1000
                base = template.expand(timestamp)
                let index = rotation[base] ?? 0
                let path = index == 0 ? base : "\(base).\(index)"
                if path != currentPath {
                    try flush()
                    currentPath = path
                }
            }
            let before = buffer.count
            lines.write(i, into: &buffer, scratch: &scratch)
            buffer.append(0x0a)
            if let maxBytes {
                let size = (files[currentPath] ?? 0) + UInt64(before)
                if size > 0 && size + UInt64(buffer.count - before) > maxBytes {
                    // This line starts the next file.
                    let index = rotation[base] ?? 0
                    let line = Array(buffer[before...])
                    buffer.removeSubrange(before...)
                    try flush()
                    rotation[base] = index + 1
                    currentPath = "\(base).\(index + 1)"
                    buffer.append(contentsOf: line)
                }
            }
        }
        try flush()
        checkpoint.path = template.text
        checkpoint.files = files
        if !rotation.isEmpty { checkpoint.rotation = rotation }
        if let length = files[template.text] { checkpoint.length = length }
    }

    /// Called under the runner's lock: takes the files written since the last sync (the
    /// returned work fsyncs them, outside the lock) and closes files beyond `maxOpen` that
    /// hold nothing unsynced (date placeholders move on).
    func syncWork() -> SyncWork {
        let dirty = unsynced.sorted().compactMap { open[$0] }
        unsynced.removeAll()
        if open.count > maxOpen {
            let held = Set(dirty.map(\.path))
            for path in open.keys.sorted() where !held.contains(path) && open.count > maxOpen { open[path] = nil }
        }
        return { for file in dirty { try file.sync() } }
    }

    /// The open file at `path` (`committed` bytes long, as `init` left it), listing it
    /// first if this sink never wrote it.
    private func file(_ path: String, committed: UInt64) throws -> CommittedFile {
        if let file = open[path] { return file }
        if !created.contains(path) {
            try refuseForeignData(at: path)
            let directory = URL(fileURLWithPath: createdPath).deletingLastPathComponent().path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let firstListing = !FileSystem.exists(createdPath)
            let list = try FileSystem.open(createdPath, .writeOnly, create: true)
            defer { try? list.close() }
            let end = try FileSystem.fileSize(createdPath)
            try Array((path + "\n").utf8).withUnsafeBytes { try FileSystem.write(list, at: end, $0, path: createdPath) }
            try FileSystem.fsync(list, path: createdPath)
            // The list itself must survive a power loss as surely as the file it names.
            if firstListing { try DurableFile.syncDirectory(directory) }
            created.insert(path)
        }
        let file = try CommittedFile(path: path, encoding: encoding, committedLength: committed)
        open[path] = file
        return file
    }
}

/// A file path with date placeholders, filled in from a record's timestamp (UTC).
struct PathTemplate {
    let text: String
    let hasPlaceholders: Bool

    init(_ text: String) throws {
        self.text = text
        var chars = Array(text)[...]
        var found = false
        while let percent = chars.firstIndex(of: "%") {
            let next = chars.index(after: percent)
            guard next < chars.endIndex, "YmdHMS%".contains(chars[next]) else {
                throw PipelineError(description: "path \(text): only %Y %m %d %H %M %S and %% may follow a %")
            }
            found = true
            chars = chars[chars.index(after: next)...]
        }
        hasPlaceholders = found
    }

    func expand(_ millis: Int64) -> String {
        guard hasPlaceholders else { return text }
        var seconds = time_t(millis / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var out = ""
        var iterator = text.makeIterator()
        while let char = iterator.next() {
            guard char == "%", let code = iterator.next() else {
                out.append(char)
                continue
            }
            switch code {
            case "Y": out += String(format: "%04d", Int(parts.tm_year) + 1900)
            case "m": out += String(format: "%02d", Int(parts.tm_mon) + 1)
            case "d": out += String(format: "%02d", Int(parts.tm_mday))
            case "H": out += String(format: "%02d", Int(parts.tm_hour))
            case "M": out += String(format: "%02d", Int(parts.tm_min))
            case "S": out += String(format: "%02d", Int(parts.tm_sec))
            default: out.append(code)
            }
        }
        return out
    }
}
