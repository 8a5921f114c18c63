import CZlib
import Synchronization

/// Gzip compression of batch bodies through the system zlib.
///
/// zlib streams are reused (`deflateReset`/`inflateReset`) from a small pool:
/// setting one up costs about as much as compressing a small batch.
enum Gzip {
    /// A decompressed batch may not exceed this, so a hostile batch cannot exhaust memory.
    static let maxDecompressedBytes = 256 << 20

    /// Appends the gzip-framed compression of `input` to `output`.
    static func compress(_ input: UnsafeRawBufferPointer, level: Int, into output: ByteWriter) throws {
        let deflater = try deflaters.take(level: level)
        defer { deflaters.give(deflater) }
        try deflater.compress(input, into: output)
    }

    /// Decompresses a gzip (RFC 1952) or zlib (RFC 1950) stream.
    static func decompress(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        let inflater = try inflaters.take()
        defer { inflaters.give(inflater) }
        return try inflater.decompress(input)
    }

    /// The output buffer to start with. A gzip trailer ends with the input size mod 2^32,
    /// a good guess — but only a guess: a hostile trailer may claim 4 GiB, and deflate
    /// never inflates more than 1032 times, so the claim is held to that (found by
    /// Fuzz/FuzzRecordBatch: a 1.4 KB batch made every read allocate 256 MiB).
    static func initialCapacity(for input: UnsafeRawBufferPointer) -> Int {
        var guess = input.count * 4
        if input.count >= 18, input[0] == 0x1f, input[1] == 0x8b {
            let isize = Int(input.loadUnaligned(fromByteOffset: input.count - 4, as: UInt32.self).littleEndian)
            guess = min(isize + 1, input.count * 1032 + 64)
        }
        return min(max(guess, 1024), maxDecompressedBytes)
    }

    private static let deflaters = DeflaterPool()
    private static let inflaters = InflaterPool()
}

/// Used by one thread at a time: taken from the pool, used, given back.
private final class Deflater: @unchecked Sendable {
    // unchecked: zlib's stream is mutable C state; the pool hands each deflater to one thread at a time.
    let level: Int
    private var stream = z_stream()

    init(level: Int) throws {
        self.level = level
        // windowBits 31 = 15 + 16: a gzip header and trailer instead of zlib's.
        let status = deflateInit2_(
            &stream, Int32(level), Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY,
            zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw WeirLogError.compressionFailed("deflateInit2 returned \(status)") }
    }

    deinit { deflateEnd(&stream) }

    func compress(_ input: UnsafeRawBufferPointer, into output: ByteWriter) throws {
        deflateReset(&stream)
        let bound = Int(deflateBound(&stream, uLong(input.count)))
        output.reserve(bound)
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        stream.next_out = (output.pointer + output.count).assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(bound)
        let status = deflate(&stream, Z_FINISH)
        guard status == Z_STREAM_END else { throw WeirLogError.compressionFailed("deflate returned \(status)") }
        output.count += bound - Int(stream.avail_out)
    }
}

/// Used by one thread at a time: taken from the pool, used, given back.
private final class Inflater: @unchecked Sendable {
    // unchecked: zlib's stream is mutable C state; the pool hands each inflater to one thread at a time.
    private var stream = z_stream()

    init() throws {
        // windowBits 47 = 15 + 32: detect gzip or zlib framing from the header.
        let status = inflateInit2_(&stream, 47, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw WeirLogError.compressionFailed("inflateInit2 returned \(status)") }
    }

    deinit { inflateEnd(&stream) }

    func decompress(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        inflateReset(&stream)
        guard let base = input.baseAddress, input.count > 0 else {
            throw WeirLogError.compressionFailed("empty compressed body")
        }
        var output = [UInt8](repeating: 0, count: Gzip.initialCapacity(for: input))
        stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        var produced = 0
        while true {
            let status = output.withUnsafeMutableBytes { out -> Int32 in
                stream.next_out = (out.baseAddress! + produced).assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(out.count - produced)
                let status = inflate(&stream, Z_NO_FLUSH)
                produced = out.count - Int(stream.avail_out)
                return status
            }
            if status == Z_STREAM_END { break }
            guard status == Z_OK || status == Z_BUF_ERROR else {
                let message = stream.msg.map { String(cString: $0) } ?? "status \(status)"
                throw WeirLogError.compressionFailed("inflate: \(message)")
            }
            if stream.avail_out == 0 {
                guard output.count < Gzip.maxDecompressedBytes else {
                    throw WeirLogError.compressionFailed("batch decompresses to more than \(Gzip.maxDecompressedBytes) bytes")
                }
                output.append(contentsOf: repeatElement(0, count: min(output.count, Gzip.maxDecompressedBytes - output.count)))
            } else if stream.avail_in == 0 {
                throw WeirLogError.compressionFailed("inflate: compressed body ends early")
            }
        }
        output.removeSubrange(produced...)
        return output
    }
}

private final class DeflaterPool: Sendable {
    private let idle = Mutex<[Deflater]>([])

    func take(level: Int) throws -> Deflater {
        let reused = idle.withLock { pool -> Deflater? in
            guard let index = pool.lastIndex(where: { $0.level == level }) else { return nil }
            return pool.remove(at: index)
        }
        return try reused ?? Deflater(level: level)
    }

    func give(_ deflater: Deflater) {
        idle.withLock { pool in
            if pool.count < 8 { pool.append(deflater) }
        }
    }
}

private final class InflaterPool: Sendable {
    private let idle = Mutex<[Inflater]>([])

    func take() throws -> Inflater {
        try idle.withLock { $0.popLast() } ?? Inflater()
    }

    func give(_ inflater: Inflater) {
        idle.withLock { pool in
            if pool.count < 8 { pool.append(inflater) }
        }
    }
}
