import Hummingbird

/// Answers 401 to a request `HTTPAccess` does not allow (no token, or a wrong one),
/// before it reaches its route.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let access: HTTPAccess
    /// How a client sends the token (the end of the 401's one line).
    var hint = "weir top and weir tap send it with --http-token-file PATH or $WEIR_HTTP_TOKEN"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let authorization = request.headers[.authorization]
        guard access.allows(path: request.uri.path, authorization: authorization) else {
            let problem = authorization == nil ? "this weir asks for a bearer token" : "wrong bearer token"
            var response = OperationsServer.json(
                .unauthorized,
                OperationsServer.Failure(
                    error: "\(problem): \(hint)"))
            response.headers[.wwwAuthenticate] = "Bearer realm=\"weir\""
            return response
        }
        return try await next(request, context)
    }
}
