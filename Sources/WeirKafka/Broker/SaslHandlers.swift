import Logging
import NIOCore

/// SaslHandshake and SaslAuthenticate: SASL/PLAIN and SASL/SCRAM-SHA-256 against the
/// listener's users file. Until a connection has authenticated, it may ask only
/// ApiVersions and these two.
extension KafkaBroker {
    static let saslMechanisms = ["PLAIN", ScramSHA256.mechanism]

    func saslHandshake(_ request: SaslHandshakeAPI.Request, version: Int16, session: inout KafkaSession) -> SaslHandshakeAPI.Response {
        // After a v0 handshake the token comes bare and is read as PLAIN's (see `handle`):
        // SCRAM's exchange of several messages needs SaslAuthenticate (v1, Kafka 1.0+).
        let offered = version == 0 ? ["PLAIN"] : Self.saslMechanisms
        guard offered.contains(request.mechanism) else {
            return SaslHandshakeAPI.Response(errorCode: .unsupportedSASLMechanism, mechanisms: offered)
        }
        session.saslMechanism = request.mechanism
        session.scram = nil
        session.bareSaslTokenNext = version == 0
        return SaslHandshakeAPI.Response(mechanisms: Self.saslMechanisms)
    }

    func saslAuthenticate(_ request: SaslAuthenticateAPI.Request, session: inout KafkaSession) -> SaslAuthenticateAPI.Response {
        guard let mechanism = session.saslMechanism, !session.authenticated, let users else {
            return SaslAuthenticateAPI.Response(
                errorCode: .illegalSASLState, errorMessage: "SaslAuthenticate before SaslHandshake, or twice", authBytes: ByteBuffer())
        }
        let message = Array(request.authBytes.readableBytesView)
        if mechanism == ScramSHA256.mechanism {
            return scramAuthenticate(message, users: users, session: &session)
        }
        guard let user = users.authenticatePlain(message) else {
            return refused("Authentication failed: invalid username or password", session: session)
        }
        session.authenticated = true
        session.user = user
        return SaslAuthenticateAPI.Response(authBytes: ByteBuffer())
    }

    /// One round of SCRAM: client-first gets server-first, client-final gets server-final.
    /// A failure ends the exchange: another attempt starts with a new SaslHandshake.
    private func scramAuthenticate(_ message: [UInt8], users: KafkaUsers, session: inout KafkaSession) -> SaslAuthenticateAPI.Response {
        var exchange = session.scram ?? ScramSHA256.ServerExchange()
        do throws(ScramError) {
            switch try exchange.receive(message, credential: users.credential(for:)) {
            case .challenge(let serverFirst):
                session.scram = exchange
                return SaslAuthenticateAPI.Response(authBytes: ByteBuffer(bytes: serverFirst))
            case .authenticated(let user, let serverFinal):
                session.scram = nil
                session.authenticated = true
                session.user = user
                return SaslAuthenticateAPI.Response(authBytes: ByteBuffer(bytes: serverFinal))
            }
        } catch {
            session.scram = nil
            session.saslMechanism = nil
            return refused(error.description, session: session)
        }
    }

    private func refused(_ reason: String, session: KafkaSession) -> SaslAuthenticateAPI.Response {
        logger.warning("kafka client failed to authenticate", metadata: ["peer": "\(session.peer)", "reason": "\(reason)"])
        return SaslAuthenticateAPI.Response(errorCode: .saslAuthenticationFailed, errorMessage: reason, authBytes: ByteBuffer())
    }
}
