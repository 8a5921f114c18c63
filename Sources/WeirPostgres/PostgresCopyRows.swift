import NIOCore

/// A batch's rows in `COPY … FROM STDIN`'s text format: one line a row, cells separated
/// by tabs, `\N` for null, and backslash, tab, newline and carriage return escaped.
///
/// `COPY` has no `DEFAULT` per row (PostgreSQL 15), so the rows are grouped by which
/// cells are absent: each group is one `COPY` naming only the columns its rows fill, and
/// the others take their defaults, as a multi-row `INSERT` with `DEFAULT` would.
struct PostgresCopyRows {
    /// The positions (in the sink's columns) a group's rows fill, and their text, cut into
    /// chunks of about `chunkBytes` (each one `CopyData` message).
    struct Group {
        let columns: [Int]
        var chunks: [ByteBuffer]
    }

    static let chunkBytes = 256 * 1024

    private(set) var groups: [Group] = []

    init(_ rows: some Collection<(index: Int, cells: [PostgresSink.Cell])>) {
        var positions: [[Bool]: Int] = [:]
        var buffers: [ByteBuffer] = []
        for row in rows {
            let present = row.cells.map { if case .absent = $0 { false } else { true } }
            let group: Int
            if let found = positions[present] {
                group = found
            } else {
                group = groups.count
                positions[present] = group
                groups.append(Group(columns: present.indices.filter { present[$0] }, chunks: []))
                buffers.append(ByteBuffer())
            }
            Self.append(row.cells, to: &buffers[group])
            if buffers[group].readableBytes >= Self.chunkBytes {
                groups[group].chunks.append(buffers[group])
                buffers[group] = ByteBuffer()
            }
        }
        for (group, buffer) in buffers.enumerated() where buffer.readableBytes > 0 {
            groups[group].chunks.append(buffer)
        }
    }

    private static func append(_ cells: [PostgresSink.Cell], to buffer: inout ByteBuffer) {
        var first = true
        for cell in cells {
            switch cell {
            case .absent: continue
            case .null:
                if !first { buffer.writeInteger(UInt8(ascii: "\t")) }
                buffer.writeStaticString("\\N")
            case .text(var text):
                if !first { buffer.writeInteger(UInt8(ascii: "\t")) }
                text.withUTF8 { append(escaping: $0, to: &buffer) }
            }
            first = false
        }
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    /// `bytes` with `\`, tab, newline and carriage return escaped (runs between them are
    /// copied whole).
    static func append(escaping bytes: UnsafeBufferPointer<UInt8>, to buffer: inout ByteBuffer) {
        var start = 0
        for (index, byte) in bytes.enumerated() {
            let escaped: UInt8
            switch byte {
            case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
            case UInt8(ascii: "\t"): escaped = UInt8(ascii: "t")
            case UInt8(ascii: "\n"): escaped = UInt8(ascii: "n")
            case UInt8(ascii: "\r"): escaped = UInt8(ascii: "r")
            default: continue
            }
            buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[start..<index]))
            buffer.writeInteger(UInt8(ascii: "\\"))
            buffer.writeInteger(escaped)
            start = index + 1
        }
        buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[start...]))
    }
}
