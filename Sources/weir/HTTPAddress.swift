import ArgumentParser
import Foundation

/// A `--http` value: `HOST:PORT`, `[IPv6]:PORT`, or a bare port, which means
/// 127.0.0.1 (never every interface unless asked: `0.0.0.0:PORT`).
struct HTTPAddress: ExpressibleByArgument, CustomStringConvertible {
    var host: String
    var port: Int

    /// Where `weir top` and `weir tap` look when not told: $WEIR_HTTP, else this.
    static let defaultPort = 9580

    init?(argument: String) {
        let text = argument.hasPrefix("http://") ? String(argument.dropFirst(7)) : argument
        if let port = Int(text) {
            host = "127.0.0.1"
            self.port = port
        } else if let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) {
            host = String(text[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            self.port = port
        } else {
            return nil
        }
        guard !host.isEmpty, (0...65_535).contains(port) else { return nil }
    }

    static var defaultValueDescription: String { "127.0.0.1:\(defaultPort)" }

    /// The address `weir top` and `weir tap` use when `--http` is not given.
    static var fromEnvironment: HTTPAddress {
        ProcessInfo.processInfo.environment["WEIR_HTTP"].flatMap(HTTPAddress.init(argument:))
            ?? HTTPAddress(argument: String(defaultPort))!
    }

    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    var url: String { "http://\(description)" }
}
