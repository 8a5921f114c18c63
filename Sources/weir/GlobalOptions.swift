public import ArgumentParser
import Foundation
public import Logging
import Synchronization
import WeirLog

/// Options every command that touches the data directory takes.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .customLong("data-dir"),
        help: ArgumentHelp(
            "The data directory (default: $WEIR_DATA_DIR, else $XDG_DATA_HOME/weir, else ~/.local/share/weir).",
            valueName: "dir"))
    var dataDir: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .warning

    enum LogFormat: String, ExpressibleByArgument {
        case text, json
    }

    @Option(
        name: .customLong("log-format"), help: "text, or json: one JSON object per line on stderr (time, level, label, message, metadata).")
    var logFormat: LogFormat = .text

    /// The directory the user means, from the flag, the environment or the default.
    var resolvedDataDirectory: String {
        let environment = ProcessInfo.processInfo.environment
        if let dataDir { return dataDir }
        if let fromEnvironment = environment["WEIR_DATA_DIR"], !fromEnvironment.isEmpty { return fromEnvironment }
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/weir" }
        return (environment["HOME"] ?? ".") + "/.local/share/weir"
    }

    var logger: Logger {
        Self.bootstrap(logFormat)
        var logger = Logger(label: "weir")
        logger.logLevel = logLevel
        return logger
    }

    /// Every logger of the process (the log's and the runner's too) writes in `format`.
    private static func bootstrap(_ format: LogFormat) {
        bootstrapped.withLock { done in
            guard !done else { return }
            done = true
            switch format {
            case .text: LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
            case .json: LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
            }
        }
    }

    private static let bootstrapped = Mutex(false)

    /// Opens the log; the caller closes it.
    func openLog() throws -> EmbeddedLog {
        try EmbeddedLog(directory: resolvedDataDirectory, logger: logger)
    }

    /// Runs `body` with the log open, closing it cleanly afterwards even on error.
    func withLog<T>(_ body: (EmbeddedLog) throws -> T) throws -> T {
        let log = try openLog()
        do {
            let result = try body(log)
            try log.close()
            return result
        } catch {
            try? log.close()
            throw error
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
