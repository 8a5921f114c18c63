import Hummingbird

/// Answers 401 to a request `HTTPAccess` does not allow (no token or user and password, or
/// wrong ones), before it reaches its route.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let access: HTTPAccess
    /// How a client sends the token (the end of the 401's one line).
    var hint = "weir top and weir tap send it with --http-token-file PATH or $WEIR_HTTP_TOKEN"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let authorization = request.headers[.authorization]
        guard access.allows(path: request.uri.path, authorization: authorization) else {
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
