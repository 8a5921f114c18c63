import Dispatch
import Hummingbird

/// Where users' passwords are checked: a key derivation of a few milliseconds each (for a
/// pair not checked before), kept off Swift's cooperative pool, whose two threads serve
/// every request; a flood of wrong passwords queues here instead of stalling them.
private let passwordChecks = DispatchQueue(label: "weir.http.passwords")

/// Answers 401 to a request `HTTPAccess` does not allow (no token or user and password, or
/// wrong ones), before it reaches its route.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let access: HTTPAccess
    /// How a client sends the token (the end of the 401's one line).
    var hint = "weir top and weir tap send it with --http-token-file PATH or $WEIR_HTTP_TOKEN"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let authorization = request.headers[.authorization]
        let path = request.uri.path
        let allowed =
            if access.users != nil, authorization?.lowercased().hasPrefix("basic ") == true {
                await withCheckedContinuation { [access] done in
                    passwordChecks.async { done.resume(returning: access.allows(path: path, authorization: authorization)) }
                }
            } else {
                access.allows(path: path, authorization: authorization)
            }
        guard allowed else {
            let asked = [access.users == nil ? nil : "a user and password", access.token == nil ? nil : "a bearer token"]
                .compactMap { $0 }.joined(separator: " or ")
            let problem =
                authorization == nil
                ? "this weir asks for \(asked)" : access.users == nil ? "wrong bearer token" : "wrong credentials (it asks for \(asked))"
            let hints = [access.users == nil ? nil : "a browser asks for the user and password", access.token == nil ? nil : hint]
            var response = OperationsServer.json(
                .unauthorized,
                OperationsServer.Failure(error: "\(problem): \(hints.compactMap { $0 }.joined(separator: "; "))"))
            // Basic first (one header, the challenges comma-separated): a browser then asks
            // the person for a user and password.
            let challenges = [
                access.users == nil ? nil : "Basic realm=\"weir\", charset=\"UTF-8\"", access.token == nil ? nil : "Bearer realm=\"weir\"",
            ]
            response.headers[.wwwAuthenticate] = challenges.compactMap { $0 }.joined(separator: ", ")
            return response
        }
        return try await next(request, context)
    }
}
