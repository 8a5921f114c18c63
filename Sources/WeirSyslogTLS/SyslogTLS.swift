import Glibc
import NIOCore
import NIOSSL
import WeirPipeline
import WeirValues

/// TLS (RFC 5425) on the `syslog` source's TCP connections: the server's certificate
/// chain and key, and with `client_ca` the CAs whose certificate a client must present.
/// Everything is read when the pipeline is loaded, so `weir validate` reports a missing
/// file or a bad PEM at the option that names it, not the first connection.
struct SyslogTLS: SyslogStreamSecurity {
    let context: NIOSSLContext

    init(options: ComponentOptions) throws {
        let tls = options.object("tls") ?? Fields()
        func path(_ key: String) throws -> String {
            guard case .string(let text) = tls[key], !text.isEmpty else { throw options.invalid("tls.\(key)", "is required") }
            return text
        }
        let certificateFile = try path("certificate")
        let chain = try Self.certificates(certificateFile, option: "tls.certificate", options)
        let keyFile = try path("key")
        try Self.checkReadable(keyFile, option: "tls.key", options)
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        } catch {
            throw options.invalid("tls.key", "'\(keyFile)' holds no usable PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        if tls["client_ca"] != nil {
            let caFile = try path("client_ca")
            let authorities = try Self.certificates(caFile, option: "tls.client_ca", options)
            // A server that verifies asks for the client's certificate and refuses the
            // handshake without one (SSL_VERIFY_FAIL_IF_NO_PEER_CERT); clients have no
            // host name to check.
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(authorities)
        }
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw options.invalid("tls.key", "'\(keyFile)' cannot be used with the certificate '\(certificateFile)' (\(error))")
        }
    }

    func secure(_ channel: any Channel) throws {
        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
    }

    /// The PEM certificates of `file`, at least one.
    private static func certificates(_ file: String, option: String, _ options: ComponentOptions) throws -> [NIOSSLCertificate] {
        try checkReadable(file, option: option, options)
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(file)
        } catch {
            throw options.invalid(option, "'\(file)' holds no valid PEM certificate (\(error))")
        }
        guard !certificates.isEmpty else { throw options.invalid(option, "'\(file)' holds no PEM certificate") }
        return certificates
    }

    /// BoringSSL's errors for a missing file say little; the system's say which.
    private static func checkReadable(_ file: String, option: String, _ options: ComponentOptions) throws {
        guard access(file, R_OK) == 0 else {
            throw options.invalid(option, "'\(file)' cannot be read: \(String(cString: strerror(errno)))")
        }
    }
}
