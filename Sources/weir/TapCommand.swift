import ArgumentParser
import Foundation
import Synchronization

struct TapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tap",
        abstract: "Print the records leaving a component of a running weir, as JSON lines.",
        discussion: """
            Connects to a `weir run --http` and prints each record the component sends on, as a json sink would \
            write it, without changing what the pipeline does. At high rates the records are sampled: at most \
            100 of each batch, and batches are skipped while this command falls behind. Ends after --limit \
            records, when the run ends, or on Ctrl-C.
            """
    )

    @Argument(help: "The component: PIPELINE.COMPONENT, or COMPONENT when only one pipeline has it.")
    var component: String

    @Option(help: "Stop after this many records.")
    var limit: Int?

    @Option(help: ArgumentHelp("The weir to ask (default: $WEIR_HTTP, else 127.0.0.1:\(HTTPAddress.defaultPort)).", valueName: "addr:port"))
    var http: HTTPAddress?

    @OptionGroup var httpToken: HTTPTokenOption

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let client = try OperationsClient(address: http ?? .fromEnvironment, token: httpToken.tokenOrExit())
        var path = "/api/tap?component=" + (component.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? component)
        if let limit { path += "&limit=\(limit)" }
        let printed = Atomic<Int>(0)
        let output = FileHandle.standardOutput
        do {
            try client.streamLines(path) { [limit] line in
                output.write(line + Data([0x0a]))
                let count = printed.add(1, ordering: .relaxed).newValue
                return limit.map { count < $0 } ?? true
            }
        } catch let failure as OperationsClient.Failure {
            printError("weir: \(failure)")
            throw ExitCode(1)
        }
    }
}
