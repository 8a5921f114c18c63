import SystemPackage

/// Walks the batches of a segment file through a reusable buffer, checking each
/// batch's length, magic, CRC and offset continuity. Recovery, `log verify`, `log dump`
/// and reads by timestamp all use it.
struct SegmentScanner {
    /// How a scan ended: at the end of the range, or at the first batch that does not hold.
    enum End: Equatable {
        case clean(position: Int64)
        case damaged(position: Int64, reason: String)

        var position: Int64 {
            switch self {
            case .clean(let position), .damaged(let position, _): return position
            }
        }
    }

    let fd: FileDescriptor
    let path: String
    var checkCRC = true
    /// When set, each batch's base offset must be exactly the previous batch's next offset.
    var expectedBaseOffset: Int64?

    /// Calls `visit` with each batch in `[start, end)`; `visit` returns false to stop early.
    /// The byte buffer is valid only inside the call.
    mutating func scan(
        from start: Int64,
        to end: Int64,
        _ visit: (_ position: Int64, _ header: RecordBatchHeader, _ batch: UnsafeRawBufferPointer) throws -> Bool
    ) throws -> End {
        var buffer = [UInt8](repeating: 0, count: Int(min(max(end - start, 0), 1 << 20)))
        var bufferStart = start
        var bufferCount = 0
        var position = start
        while position < end {
            // Make sure the header is in the buffer.
            if position + Int64(RecordBatchHeader.size) > bufferStart + Int64(bufferCount) {
                bufferCount = try fill(&buffer, at: position, limit: end)
                bufferStart = position
            }
            let available = Int(bufferStart + Int64(bufferCount) - position)
            guard available >= RecordBatchHeader.size else {
                return .damaged(position: position, reason: "\(end - position) trailing bytes are less than a batch header")
            }
            let relative = Int(position - bufferStart)
            let header: RecordBatchHeader
            do {
                header = try buffer.withUnsafeBytes { try RecordBatchHeader(parsing: UnsafeRawBufferPointer(rebasing: $0[relative...])) }
                try header.validateShape()
            } catch let error as RecordBatchError {
                return .damaged(position: position, reason: error.description)
            }
            if let expected = expectedBaseOffset, header.baseOffset != expected {
                return .damaged(position: position, reason: "batch base offset \(header.baseOffset), expected \(expected)")
            }
            let size = header.totalSize
            guard position + Int64(size) <= end else {
                return .damaged(
                    position: position, reason: "batch of \(size) bytes runs past the end of the segment (\(end - position) bytes left)")
            }
            if position + Int64(size) > bufferStart + Int64(bufferCount) {
                if size > buffer.count { buffer = [UInt8](repeating: 0, count: size) }
                bufferCount = try fill(&buffer, at: position, limit: end)
                bufferStart = position
                guard bufferCount >= size else {
                    return .damaged(position: position, reason: "batch is cut short")
                }
            }
            let from = Int(position - bufferStart)
            let keepGoing = try buffer.withUnsafeBytes { raw -> Bool? in
                let batch = UnsafeRawBufferPointer(rebasing: raw[from..<from + size])
                if checkCRC {
                    let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: batch[RecordBatchHeader.attributesOffset...]))
                    if computed != header.crc { return nil }
                }
                return try visit(position, header, batch)
            }
            guard let keepGoing else {
                let computed = buffer.withUnsafeBytes {
                    CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(from + RecordBatchHeader.attributesOffset)..<(from + size)]))
                }
                return .damaged(
                    position: position, reason: RecordBatchError.crcMismatch(stored: header.crc, computed: computed).description)
            }
            expectedBaseOffset = header.nextOffset
            position += Int64(size)
            if !keepGoing { break }
        }
        return .clean(position: position)
    }

    private func fill(_ buffer: inout [UInt8], at position: Int64, limit: Int64) throws -> Int {
        let want = Int(min(Int64(buffer.count), limit - position))
        return try buffer.withUnsafeMutableBytes { raw in
            try FileSystem.read(fd, at: position, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<want]), path: path)
        }
    }
}
