/// Why a pipeline cannot start or had to stop: a component refused its setup (a file
/// sink's file was cut outside Weir, a checkpoint cannot be read), a write failed, or a
/// component failed the run. `description` is what the user sees: one line per problem.
public struct PipelineError: Error, CustomStringConvertible {
    public var description: String

    public init(description: String) {
        self.description = description
    }
}
