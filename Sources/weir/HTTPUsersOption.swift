import ArgumentParser
import WeirKafka
import WeirServer

/// `--http-users FILE`: the users who may open `weir run --http` (and `weir serve --http`)
/// with a user and password, as a browser asks a person for them: the Kafka listener's
/// users file format (`user:password` or a stored SCRAM-SHA-256 credential a line).
struct HTTPUsersOption: ParsableArguments {
    @Option(
        name: .customLong("http-users"),
        help: ArgumentHelp(
            "A users file (as --kafka-users: user:password or a SCRAM-SHA-256 credential a line) whose users may sign in to the HTTP endpoint and the web console with their password (HTTP Basic).",
            valueName: "path"))
    var file: String?

    /// The users, or one line and exit 1 when the file cannot be read.
    func usersOrExit() throws -> HTTPUsers? {
        guard let file else { return nil }
        do {
            let check = PasswordCheck(try KafkaUsers(file: file))
            return HTTPUsers(source: file) { check.check(user: $0, password: $1) }
        } catch {
            printError("weir: --http-users: \(error)")
            throw ExitCode(1)
        }
    }
}
