import Foundation
import WeirValues

/// What `aggregate` holds for one input partition: the windows still open, each group's
/// accumulators in them, and the latest event time seen (the watermark's source).
struct AggregateState: Sendable, Equatable {
    struct WindowKey: Hashable, Sendable {
        var start: Int64
        var group: [Value]
    }

    /// The latest event time seen; nil before the first record.
    var maxEventTime: Int64?
    var windows: [WindowKey: [Accumulator]] = [:]
    /// The earliest end of an open window: nothing closes before the watermark reaches it.
    var nextClose: Int64 = .max

    var isEmpty: Bool { maxEventTime == nil && windows.isEmpty }
}

/// The checkpoint form of `AggregateState`: JSON, values as JSON text (the state of a
/// partition is a few bytes per open group; its encoding is deterministic, windows sorted).
extension AggregateState {
    private struct Encoded: Codable {
        var maxEventTime: Int64?
        var windows: [EncodedWindow]
    }

    private struct EncodedWindow: Codable {
        var start: Int64
        /// The group's values as a JSON array.
        var group: String
        var accumulators: [EncodedAccumulator]
    }

    private struct EncodedAccumulator: Codable {
        var count: Int64
        var intSum: Int64?
        var doubleSum: Double?
        var allIntegers: Bool?
        /// JSON text.
        var value: String?
    }

    func encoded() throws -> [UInt8] {
        var windows = self.windows.map { key, accumulators in
            EncodedWindow(
                start: key.start, group: Value.array(key.group).jsonText(),
                accumulators: accumulators.map {
                    EncodedAccumulator(
                        count: $0.count, intSum: $0.intSum == 0 ? nil : $0.intSum, doubleSum: $0.doubleSum == 0 ? nil : $0.doubleSum,
                        allIntegers: $0.allIntegers ? nil : false, value: $0.value?.jsonText())
                })
        }
        windows.sort { $0.start != $1.start ? $0.start < $1.start : $0.group.utf8.lexicographicallyPrecedes($1.group.utf8) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Array(try encoder.encode(Encoded(maxEventTime: maxEventTime, windows: windows)))
    }

    init(decoding bytes: [UInt8], size: Int64) throws {
        let decoded = try JSONDecoder().decode(Encoded.self, from: Data(bytes))
        maxEventTime = decoded.maxEventTime
        for window in decoded.windows {
            guard case .array(let group) = try JSONValueParser.parse(Array(window.group.utf8)) else {
                throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "a window's group is not an array"))
            }
            windows[WindowKey(start: window.start, group: group)] = try window.accumulators.map {
                Accumulator(
                    count: $0.count, intSum: $0.intSum ?? 0, doubleSum: $0.doubleSum ?? 0, allIntegers: $0.allIntegers ?? true,
                    value: try $0.value.map { try JSONValueParser.parse(Array($0.utf8)) })
            }
            nextClose = min(nextClose, window.start + size)
        }
    }
}
