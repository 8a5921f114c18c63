import ArgumentParser

@main
struct Weir: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weir",
        abstract: "A stream-processing pipeline runner with an embedded, Kafka-format partitioned log.",
        version: "0.1.0",
        subcommands: [
            TopicsCommand.self, ProduceCommand.self, ConsumeCommand.self, GroupsCommand.self, LogCommand.self, ValidateCommand.self,
            GraphCommand.self, RunCommand.self, ServeCommand.self, TestCommand.self, PluginsCommand.self, TopCommand.self, TapCommand.self,
        ]
    )
}
