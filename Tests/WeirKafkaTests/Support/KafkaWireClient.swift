import Foundation
import WeirKafka

/// Runs blocking work on a thread of its own (never on Swift's cooperative pool).
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try body() })
        }
    }
}

/// The wire tests' client is the library's blocking `KafkaConnection`.
typealias KafkaWireClient = KafkaConnection

extension KafkaConnection {
    /// A request and its response, from a thread of its own.
    func call<API: KafkaAPI & SendableMetatype>(_ api: API.Type, _ request: API.Request, version: Int16) async throws -> API.Response {
        try await onOwnThread { try self.request(API.self, request, version: version) }
    }
}
