import ArgumentParser
import Dispatch
import Foundation
import WeirPipeline
import WeirServer

struct TopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "A live view of a running weir: components, rates, errors, lag; Kafka clients.",
        discussion: """
            Asks a `weir run --http` for its pipelines every --interval seconds and redraws the view in place; \
            when it serves Kafka (--kafka), its Kafka clients and the members of its groups among them are shown \
            under the pipelines. q or Ctrl-C quits. When standard output is not a terminal it prints the table each time instead.
            """
    )

    @Option(help: ArgumentHelp("The weir to ask (default: $WEIR_HTTP, else 127.0.0.1:\(HTTPAddress.defaultPort)).", valueName: "addr:port"))
    var http: HTTPAddress?

    @OptionGroup var httpToken: HTTPTokenOption

    @Option(help: "Seconds between refreshes.")
    var interval: Double = 1

    func validate() throws {
        if interval < 0.1 { throw ValidationError("--interval must be at least 0.1") }
    }

    func run() throws {
        let client = try OperationsClient(address: http ?? .fromEnvironment, token: httpToken.tokenOrExit())
        // Ctrl-C, a kill or a closed terminal: leave the loop, so the terminal is restored.
        let interrupted = StopFlag()
        let handlers = [SIGINT, SIGTERM, SIGHUP].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { interrupted.set() }
            source.resume()
            return source
        }
        defer { for handler in handlers { handler.cancel() } }
        if isatty(1) == 1 && isatty(0) == 1 {
            let screen = TerminalScreen()
            defer { screen.restore() }
            while !interrupted.isSet {
                screen.draw(view(client))
                let until = Date().addingTimeInterval(interval)
                while !interrupted.isSet, Date() < until {
                    if let key = screen.key(waiting: min(0.2, max(0, until.timeIntervalSinceNow))),
                        key == UInt8(ascii: "q") || key == UInt8(ascii: "Q")
                    {
                        return
                    }
                }
            }
        } else {
            while !interrupted.isSet {
                FileHandle.standardOutput.write(Data((view(client).joined(separator: "\n") + "\n\n").utf8))
                interrupted.wait(until: .now + .seconds(interval))
            }
        }
    }

    /// The lines of one refresh: a title, the table, what is not running; or why the
    /// weir cannot be asked (the view keeps trying).
    private func view(_ client: OperationsClient) -> [String] {
        let title = "weir top — \(client.address.url)"
        do {
            let report = try TopView.decode(try client.get("/api/pipelines", timeout: 2))
            let state = report.ready ? "ready" : "not ready"
            var lines = ["\(title) — up \(TopView.duration(report.uptimeSeconds)) — \(state) — q quits", ""]
            lines += TopView.lines(report)
            let problems = TopView.problems(report)
            if !problems.isEmpty { lines += [""] + problems }
            // Only a weir that serves Kafka has clients to show (an older one has no /api/kafka).
            if let kafka = try? TopView.decodeKafka(client.get("/api/kafka", timeout: 2)), kafka.serving {
                lines += [""] + TopView.kafkaLines(kafka)
            }
            return lines
        } catch {
            return ["\(title) — q quits", "", "\(error); trying again every \(interval) s"]
        }
    }
}
