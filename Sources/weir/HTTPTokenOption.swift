import ArgumentParser
import Foundation

/// `--http-token-file PATH`, else `$WEIR_HTTP_TOKEN`: the bearer token of `weir run --http`
/// (which asks it of clients) and of `weir top` and `weir tap` (which send it).
struct HTTPTokenOption: ParsableArguments {
    @Option(
        name: .customLong("http-token-file"),
        help: ArgumentHelp(
            "A file holding the bearer token of the HTTP endpoint (surrounding whitespace ignored); default: $WEIR_HTTP_TOKEN.",
            valueName: "path"))
    var file: String?

    struct Unusable: Error, CustomStringConvertible {
        var description: String
    }

    /// The token: the file's contents, else the environment's, else nil.
    func token(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
        let (text, source): (String, String)
        if let file {
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw Unusable(
                    description:
                        "cannot read --http-token-file \(file): \((error as NSError).localizedFailureReason ?? error.localizedDescription)")
            }
            source = "--http-token-file \(file)"
        } else {
            guard let value = environment["WEIR_HTTP_TOKEN"], !value.isEmpty else { return nil }
            (text, source) = (value, "$WEIR_HTTP_TOKEN")
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw Unusable(description: "\(source) is empty") }
        // It travels in a header: one word of printable ASCII.
        guard token.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw Unusable(description: "\(source): a token is one word of printable ASCII (no spaces or line breaks inside)")
        }
        return token
    }

    /// The token, or one line and exit 1 when it cannot be read.
    func tokenOrExit(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
        do {
            return try token(environment: environment)
        } catch let error as Unusable {
            printError("weir: \(error)")
            throw ExitCode(1)
        }
    }
}
