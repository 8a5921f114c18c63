import Foundation
import WeirPipeline

/// The options of an `http_server` source, checked when the pipeline loads (so `weir
/// validate` names the option): where to listen, the path, the body limit, the token.
struct HTTPServerOptions: Sendable {
    var host: String
    var port: Int
    var path: String
    var maxBodyBytes: Int
    /// Where the bearer token comes from; nil serves without one (loopback only).
    var token: TokenSource?

    enum TokenSource: Sendable, Equatable {
        case literal(String)
        /// Read when the source starts (a factory reads no files), first line, trimmed.
        case file(String)
    }

    static let defaultMaxBodyBytes = 10 << 20

    init(_ options: ComponentOptions) throws {
        let address = try options.required("address")
        guard let (host, port) = Self.parse(address: address) else {
            throw options.invalid("address", "'\(address)' is not HOST:PORT, [IPv6]:PORT or a port (then on 127.0.0.1)")
        }
        (self.host, self.port) = (host, port)
        path = options.string("path") ?? "/"
        guard path.hasPrefix("/") else { throw options.invalid("path", "'\(path)' must start with /") }
        maxBodyBytes = Int(options.int("max_body_bytes") ?? Int64(Self.defaultMaxBodyBytes))
        switch (options.string("token"), options.string("token_file")) {
        case (.some, .some): throw options.invalid("token_file", "cannot be given with token: give one of them")
        case (let token?, nil):
            guard !token.isEmpty else { throw options.invalid("token", "is empty") }
            self.token = .literal(token)
        case (nil, let file?): token = .file(file)
        case (nil, nil): token = nil
        }
        // As `weir run --http`: beyond loopback, anyone who reaches the port could write
        // into the topic.
        if token == nil && !HTTPAccess.isLoopback(host) {
            throw options.invalid(
                "address",
                "\(host) is beyond loopback and would take records from anyone who reaches it: give token or token_file (or listen on 127.0.0.1)"
            )
        }
    }

    /// `HOST:PORT`, `[IPv6]:PORT`, or a bare port on 127.0.0.1 (never every interface
    /// unless asked: `0.0.0.0:PORT`).
    static func parse(address text: String) -> (String, Int)? {
        var host = "127.0.0.1"
        let port: Int
        if let bare = Int(text) {
            port = bare
        } else if let colon = text.lastIndex(of: ":"), let given = Int(text[text.index(after: colon)...]) {
            host = String(text[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            port = given
        } else {
            return nil
        }
        guard !host.isEmpty, (0...65_535).contains(port) else { return nil }
        return (host, port)
    }

    /// The token requests must carry, reading `token_file` now.
    func resolvedToken() throws -> String? {
        switch token {
        case nil: return nil
        case .literal(let token): return token
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw TokenFileError(description: "token_file \(path) cannot be read")
            }
            let token = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first.map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard let token, !token.isEmpty else { throw TokenFileError(description: "token_file \(path) is empty") }
            return token
        }
    }

    struct TokenFileError: Error, CustomStringConvertible {
        var description: String
    }
}
