import Foundation
import Logging
import WeirLog
import WeirValues

/// The `syslog` source: syslog messages over TCP (RFC 6587: octet-counted or
/// newline-framed) and UDP (one message a datagram), each appended as it came, the raw
/// message as the record's value; `parse_syslog` downstream makes fields of it. The raw
/// line is what is kept: exact, replayable through a changed pipeline, and cheap to append.
///
/// Listeners run on an event loop of their own and leave frames in an inbox; this
/// source's thread, which owns the topic's writer, appends whatever arrived together as
/// one chunk. Senders cannot be asked to resend, so the source has no position: what it
/// appended stays appended, what it had not is the sender's to lose.
package struct SyslogSource: PipelineSource {
    package enum Mode: String, Sendable { case tcp, udp, both }

    var host: String
    var port: Int
    var mode: Mode
    var maxFrameBytes: Int
    /// TLS on the TCP connections (the `tls` option), from WeirSyslogTLS.
    var security: (any SyslogStreamSecurity)?

    static let defaultMaxFrameBytes = 64 * 1024

    /// `security` makes the `tls` option's TLS, which the factory that registered the
    /// source knows how to (nil: this build has none, and `tls` is refused).
    package init(
        options: ComponentOptions,
        security makeSecurity: ((ComponentOptions) throws -> any SyslogStreamSecurity)? = nil
    ) throws {
        (host, port) = try Self.parse(address: options.required("address"))
        mode = options.choice("mode", default: Mode.both)
        maxFrameBytes = Int(options.int("max_frame_bytes") ?? Int64(Self.defaultMaxFrameBytes))
        if options["tls"] != nil {
            // Datagrams cannot be TLS: with `both`, UDP on the same port would take in
            // the plain text that `tls` was written to keep out.
            guard mode == .tcp else { throw options.invalid("tls", "needs mode: tcp (UDP cannot carry TLS)") }
            guard let makeSecurity else {
                throw options.invalid("tls", "needs a weir built with TLS (the WeirSyslogTLS target registers the source with it)")
            }
            security = try makeSecurity(options)
        }
    }

    package var endlessReason: String? { "it listens until the run is stopped" }

    package func run(_ context: SourceContext) throws {
        let (writer, stop) = (context.writer, context.stop)
        // Frames of at most this many bytes wait for the writer (twice: one batch being
        // appended, one filling) before connections stop being read and datagrams dropped.
        let inbox = SyslogInbox(limit: max(4 << 20, 4 * maxFrameBytes))
        let listener = try SyslogListener(
            host: host, port: port, mode: mode, inbox: inbox, maxFrameBytes: maxFrameBytes, security: security)
        defer { listener.close() }
        for (transport, address) in listener.bound {
            context.logger.info(
                "syslog source listening",
                metadata: [
                    "source": "\(context.options.id)", "transport": "\(security == nil ? transport : "tls")", "address": "\(address)",
                ])
        }
        var batch = SyslogBatch()
        var warnedTruncated = false
        while true {
            let marks = [stop.mark(), inbox.arrived.mark()]
            if stop.isSet { break }
            if inbox.isEmpty {
                ChangeSignal.wait(for: marks, until: nil)
                continue
            }
            try append(inbox, into: &batch, context, warnedTruncated: &warnedTruncated)
        }
        // Closed first (connections too), so every frame read is in the inbox to append.
        listener.close()
        inbox.close()
        try append(inbox, into: &batch, context, warnedTruncated: &warnedTruncated)
        try writer.flush(force: true)
    }

    /// Appends what waits in the inbox as one chunk.
    private func append(_ inbox: SyslogInbox, into batch: inout SyslogBatch, _ context: SourceContext, warnedTruncated: inout Bool) throws {
        let writer = context.writer
        let dropped = inbox.take(into: &batch)
        if dropped > 0 { writer.stats.addDropped(dropped) }
        let now = currentTimeMillis()
        try batch.bytes.withUnsafeBytes { bytes in
            for frame in batch.frames { try writer.add(UnsafeRawBufferPointer(rebasing: bytes[frame]), timestamp: now) }
        }
        try writer.endChunk()
        for (value, reason) in batch.rejected { context.deadLetter(value, reason: reason) }
        if batch.truncated > 0 {
            writer.stats.add(received: 0, sent: 0, errors: batch.truncated)
            if !warnedTruncated {
                context.logger.warning(
                    "syslog messages over max_frame_bytes are cut to it (counted as errors)",
                    metadata: ["source": "\(context.options.id)", "max_frame_bytes": "\(maxFrameBytes)"])
                warnedTruncated = true
            }
        }
        try context.flush()
    }

    /// `host:port`, `[v6]:port`, `:port` or `port` (host 127.0.0.1: listeners are local
    /// unless told otherwise).
    static func parse(address: String) throws -> (host: String, port: Int) {
        var host = "127.0.0.1"
        var portText = Substring(address)
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            host = String(address[address.index(after: address.startIndex)..<close])
            portText = address[address.index(after: close)...].drop { $0 == ":" }
        } else if let colon = address.lastIndex(of: ":") {
            if colon != address.startIndex { host = String(address[..<colon]) }
            portText = address[address.index(after: colon)...]
        }
        guard let port = Int(portText), (0...65535).contains(port), !host.isEmpty else {
            throw PipelineError(description: "address '\(address)' is not host:port (a port alone listens on 127.0.0.1)")
        }
        return (host, port)
    }
}
