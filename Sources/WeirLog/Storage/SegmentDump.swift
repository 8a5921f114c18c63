import SystemPackage

/// Prints a segment's files the way Kafka's `kafka-dump-log` does: one line per batch
/// and one `|`-prefixed line per record for `.log`; the entries of `.index` and `.timeindex`.
public enum SegmentDump {
    /// Writes the dump of `path` line by line to `emit`; returns false if a batch was damaged.
    public static func dump(path: String, printPayload: Bool = true, emit: (String) -> Void) throws -> Bool {
        emit("Dumping \(path)")
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if name.hasSuffix(".index") { return try dumpIndex(path, emit) }
        if name.hasSuffix(".timeindex") { return try dumpTimeIndex(path, emit) }
        let fd = try FileSystem.open(path, .readOnly)
        defer { try? fd.close() }
        if let base = Segment.baseOffset(ofLogFile: name) { emit("Log starting offset: \(base)") }
        var scanner = SegmentScanner(fd: fd, path: path)
        var intact = true
        let end = try scanner.scan(from: 0, to: try FileSystem.fileSize(path)) { position, header, bytes in
            let codec = (try? CompressionCodec(attributes: header.attributes))?.description ?? "unsupported(\(header.attributes & 7))"
            emit(
                "baseOffset: \(header.baseOffset) lastOffset: \(header.lastOffset) count: \(header.recordsCount) "
                    + "baseSequence: \(header.baseSequence) lastSequence: \(header.baseSequence < 0 ? -1 : header.baseSequence &+ header.lastOffsetDelta) "
                    + "producerId: \(header.producerId) producerEpoch: \(header.producerEpoch) partitionLeaderEpoch: \(header.partitionLeaderEpoch) "
                    + "isTransactional: \(header.isTransactional) isControl: \(header.isControl) position: \(position) "
                    + "\(header.timestampType): \(header.maxTimestamp) size: \(header.totalSize) magic: \(header.magic) "
                    + "compresscodec: \(codec) crc: \(header.crc) isvalid: true")
            do {
                try RecordBatch(parsing: bytes).forEachRecord { view in
                    var line =
                        "| offset: \(view.offset) \(header.timestampType): \(view.timestamp) keySize: \(view.key?.count ?? -1) "
                        + "valueSize: \(view.value?.count ?? -1) sequence: \(header.baseSequence < 0 ? -1 : header.baseSequence &+ Int32(truncatingIfNeeded: view.offset - header.baseOffset)) "
                        + "headerKeys: [\(view.headers.map(\.key).joined(separator: ","))]"
                    if printPayload {
                        if let key = view.key { line += " key: \(String(decoding: key, as: UTF8.self))" }
                        line += " payload: \(view.value.map { String(decoding: $0, as: UTF8.self) } ?? "null")"
                    }
                    emit(line)
                }
            } catch {
                intact = false
                emit("| records at position \(position) do not parse: \(error)")
            }
            return true
        }
        if case .damaged(let position, let reason) = end {
            emit("Found damage at byte \(position): \(reason)")
            intact = false
        }
        return intact
    }

    private static func dumpIndex(_ path: String, _ emit: (String) -> Void) throws -> Bool {
        let base =
            Segment.baseOffset(ofLogFile: (path.split(separator: "/").last.map(String.init) ?? "").replacingSuffix(".index", with: ".log"))
            ?? 0
        let bytes = try FileSystem.readWholeFile(path)
        bytes.withUnsafeBytes { raw in
            for i in 0..<(raw.count / 8) {
                let relative = Int32(bigEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: Int32.self))
                let position = Int32(bigEndian: raw.loadUnaligned(fromByteOffset: i * 8 + 4, as: Int32.self))
                emit("offset: \(base + Int64(relative)) position: \(position)")
            }
        }
        return bytes.count % 8 == 0
    }

    private static func dumpTimeIndex(_ path: String, _ emit: (String) -> Void) throws -> Bool {
        let base =
            Segment.baseOffset(
                ofLogFile: (path.split(separator: "/").last.map(String.init) ?? "").replacingSuffix(".timeindex", with: ".log")) ?? 0
        let bytes = try FileSystem.readWholeFile(path)
        bytes.withUnsafeBytes { raw in
            for i in 0..<(raw.count / 12) {
                let timestamp = Int64(bigEndian: raw.loadUnaligned(fromByteOffset: i * 12, as: Int64.self))
                let relative = Int32(bigEndian: raw.loadUnaligned(fromByteOffset: i * 12 + 8, as: Int32.self))
                emit("timestamp: \(timestamp) offset: \(base + Int64(relative))")
            }
        }
        return bytes.count % 12 == 0
    }
}

extension String {
    func replacingSuffix(_ suffix: String, with replacement: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) + replacement : self
    }
}
