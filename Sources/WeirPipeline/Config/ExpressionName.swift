import WeirValues

/// Foundation, imported beside WeirValues, has an `Expression` of its own (predicates):
/// in this module the name means the pipeline language's.
typealias Expression = WeirValues.Expression
