import CDeflate
import CZlib
import Synchronization

/// Gzip compression of batch bodies: libdeflate, which compresses and inflates a whole
/// buffer at once (a batch is one), 1.6x faster than zlib at level 1 and 2.7x faster
/// inflating on log lines (and a little smaller). zlib inflates what libdeflate does not
/// take: zlib (RFC 1950) framing, and any stream libdeflate refuses, so that errors and
/// edge cases read as they did.
///
/// Compressors and decompressors are reused from small pools: setting one up costs about
/// as much as compressing a small batch.
enum Gzip {
    /// A decompressed batch may not exceed this, so a hostile batch cannot exhaust memory.
    static let maxDecompressedBytes = 256 << 20

    /// Appends the gzip-framed compression of `input` to `output`.
    static func compress(_ input: UnsafeRawBufferPointer, level: Int, into output: ByteWriter) throws {
        let compressor = try compressors.take(level: level)
        defer { compressors.give(compressor) }
        try compressor.compress(input, into: output)
    }

    /// Decompresses a gzip (RFC 1952) or zlib (RFC 1950) stream.
    static func decompress(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        if input.count >= 18, input[0] == 0x1f, input[1] == 0x8b {
            let decompressor = try decompressors.take()
            defer { decompressors.give(decompressor) }
            if let output = decompressor.decompress(input) { return output }
        }
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

    private static let compressors = Pool<Compressor>()
    private static let decompressors = Pool<Decompressor>()
    private static let inflaters = Pool<Inflater>()
}

/// libdeflate's compressor at one level. Used by one thread at a time: taken from the
/// pool, used, given back.
private final class Compressor: @unchecked Sendable {
    // unchecked: the compressor is mutable C state; the pool hands it to one thread at a time.
    let level: Int
    private let compressor: OpaquePointer

    init(level: Int) throws {
        self.level = level
        guard let compressor = libdeflate_alloc_compressor(Int32(level)) else {
            throw WeirLogError.compressionFailed("libdeflate_alloc_compressor(\(level)) failed")
        }
        self.compressor = compressor
    }

    deinit { libdeflate_free_compressor(compressor) }

    func compress(_ input: UnsafeRawBufferPointer, into output: ByteWriter) throws {
        let bound = libdeflate_gzip_compress_bound(compressor, input.count)
        output.reserve(bound)
        let written = libdeflate_gzip_compress(compressor, input.baseAddress, input.count, output.pointer + output.count, bound)
        // The bound is room enough: 0 (no room) cannot happen.
        guard written > 0 else { throw WeirLogError.compressionFailed("libdeflate_gzip_compress found no room") }
        output.count += written
    }
}

/// libdeflate's decompressor. Used by one thread at a time.
private final class Decompressor: @unchecked Sendable {
    // unchecked: the decompressor is mutable C state; the pool hands it to one thread at a time.
    private let decompressor: OpaquePointer

    init() throws {
        guard let decompressor = libdeflate_alloc_decompressor() else {
            throw WeirLogError.compressionFailed("libdeflate_alloc_decompressor failed")
        }
        self.decompressor = decompressor
    }

    deinit { libdeflate_free_decompressor(decompressor) }

    /// The first gzip member of `input`, inflated into room the trailer's size claims
    /// (held to what deflate can expand to, as for zlib); nil when libdeflate refuses it
    /// (bad data, a lying trailer): zlib then tries, and says what is wrong.
    func decompress(_ input: UnsafeRawBufferPointer) -> [UInt8]? {
        let capacity = Gzip.initialCapacity(for: input)
        var ok = false
        // Not zeroed first: libdeflate writes every byte it reports.
        let output = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            var consumed = 0
            var produced = 0
            let result = libdeflate_gzip_decompress_ex(
                decompressor, input.baseAddress, input.count, buffer.baseAddress, capacity, &consumed, &produced)
            ok = result == LIBDEFLATE_SUCCESS
            count = ok ? produced : 0
        }
        return ok ? output : nil
    }
}

/// Reusable codec states, at most eight idle ones kept.
private final class Pool<Codec: AnyObject & Sendable>: Sendable {
    private let idle = Mutex<[Codec]>([])

    func take(where matches: (Codec) -> Bool = { _ in true }, make: () throws -> Codec) rethrows -> Codec {
        let reused = idle.withLock { pool -> Codec? in
            guard let index = pool.lastIndex(where: matches) else { return nil }
            return pool.remove(at: index)
        }
        return try reused ?? make()
    }

    func give(_ codec: Codec) {
        idle.withLock { pool in
            if pool.count < 8 { pool.append(codec) }
        }
    }
}

extension Pool where Codec == Compressor {
    func take(level: Int) throws -> Compressor { try take(where: { $0.level == level }) { try Compressor(level: level) } }
}

extension Pool where Codec == Decompressor {
    func take() throws -> Decompressor { try take { try Decompressor() } }
}

extension Pool where Codec == Inflater {
    func take() throws -> Inflater { try take { try Inflater() } }
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
