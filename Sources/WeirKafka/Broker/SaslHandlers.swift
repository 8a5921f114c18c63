import Logging
import NIOCore

/// SaslHandshake and SaslAuthenticate: SASL/PLAIN against the listener's users file. Until
/// a connection has authenticated, it may ask only ApiVersions and these two.
extension KafkaBroker {
    static let saslMechanisms = ["PLAIN"]

    func saslHandshake(_ request: SaslHandshakeAPI.Request, version: Int16, session: inout KafkaSession) -> SaslHandshakeAPI.Response {
        guard Self.saslMechanisms.contains(request.mechanism) else {
            return SaslHandshakeAPI.Response(errorCode: .unsupportedSASLMechanism, mechanisms: Self.saslMechanisms)
        }
        session.saslMechanism = request.mechanism
        session.bareSaslTokenNext = version == 0
        return SaslHandshakeAPI.Response(mechanisms: Self.saslMechanisms)
    }

    func saslAuthenticate(_ request: SaslAuthenticateAPI.Request, session: inout KafkaSession) -> SaslAuthenticateAPI.Response {
        guard session.saslMechanism != nil, !session.authenticated, let users else {
            return SaslAuthenticateAPI.Response(
                errorCode: .illegalSASLState, errorMessage: "SaslAuthenticate before SaslHandshake, or twice", authBytes: ByteBuffer())
        }
        guard let user = users.authenticatePlain(Array(request.authBytes.readableBytesView)) else {
            logger.warning("kafka client failed to authenticate", metadata: ["peer": "\(session.peer)"])
            return SaslAuthenticateAPI.Response(
                errorCode: .saslAuthenticationFailed, errorMessage: "Authentication failed: invalid username or password",
                authBytes: ByteBuffer())
        }
        session.authenticated = true
        session.user = user
        return SaslAuthenticateAPI.Response(authBytes: ByteBuffer())
    }
}
