import Foundation
import WeirLog
import WeirPipeline
import WeirValues

/// The records of the plugin protocol (`plugins/README.md`) as JSON:
///
/// `{"timestamp":ms,"fields":{…},"key":"…","headers":[{"key":"k","value":"v"}],
///   "topic":"t","partition":0,"offset":42}`
///
/// `key` and header values that are not UTF-8 travel as `key_base64` / `value_base64`;
/// `key`, `headers` and the origin (`topic`, `partition`, `offset`) are left out when
/// the record has none. A source plugin's records have `value` (or `value_base64`)
/// instead of `fields`: the bytes Weir appends to the topic.
enum PluginWire {
    static func append(_ record: PipelineRecord, to line: inout [UInt8]) {
        line += Array(#"{"timestamp":\#(record.timestamp),"fields":"#.utf8)
        record.object.writeJSON(into: &line)
        if let key = record.key { appendBytes(key, name: "key", to: &line) }
        if !record.headers.isEmpty {
            line += Array(#","headers":["#.utf8)
            for (i, header) in record.headers.enumerated() {
                if i > 0 { line.append(UInt8(ascii: ",")) }
                line += Array(#"{"key":"#.utf8)
                Value.writeJSONString(header.key, into: &line)
                if let value = header.value { appendBytes(value, name: "value", to: &line) }
                line.append(UInt8(ascii: "}"))
            }
            line.append(UInt8(ascii: "]"))
        }
        if let origin = record.origin {
            line += Array(#","topic":"#.utf8)
            Value.writeJSONString(origin.topic, into: &line)
            line += Array(#","partition":\#(origin.partition),"offset":\#(origin.offset)"#.utf8)
        }
        line.append(UInt8(ascii: "}"))
    }

    /// `,"<name>":"text"`, or `,"<name>_base64":"…"` for bytes that are not UTF-8.
    private static func appendBytes(_ bytes: [UInt8], name: String, to line: inout [UInt8]) {
        if let text = String(validating: bytes, as: UTF8.self) {
            line += Array(#","\#(name)":"#.utf8)
            Value.writeJSONString(text, into: &line)
        } else {
            line += Array(#","\#(name)_base64":""#.utf8) + Array(Data(bytes).base64EncodedString().utf8) + [UInt8(ascii: "\"")]
        }
    }

    struct BadRecord: Error, CustomStringConvertible {
        var description: String
    }

    /// A record a transform plugin answered with.
    static func record(_ value: Value) throws(BadRecord) -> PipelineRecord {
        guard case .object(let members) = value else { throw BadRecord(description: "a record is not an object") }
        guard case .object(let fields)? = members["fields"] else { throw BadRecord(description: "a record has no \"fields\" object") }
        var record = PipelineRecord(
            key: try bytes(members, "key"), timestamp: int(members["timestamp"]) ?? 0, headers: try headers(members), fields: fields)
        if case .string(let topic)? = members["topic"], let partition = int(members["partition"]), let offset = int(members["offset"]) {
            record.origin = RecordOrigin(topic: topic, partition: Int(partition), offset: offset)
        }
        return record
    }

    /// A record a source plugin emitted: `value` (or `fields`, appended as their JSON).
    static func sourceRecord(_ value: Value) throws(BadRecord) -> SourceRecord {
        guard case .object(let members) = value else { throw BadRecord(description: "a record is not an object") }
        var bytes = try bytes(members, "value")
        if bytes == nil, let fields = members["fields"] {
            var json: [UInt8] = []
            fields.writeJSON(into: &json)
            bytes = json
        }
        guard let bytes else { throw BadRecord(description: "a record has neither \"value\" nor \"fields\"") }
        return SourceRecord(
            key: try self.bytes(members, "key"), value: bytes, timestamp: int(members["timestamp"]), headers: try headers(members))
    }

    private static func int(_ value: Value?) -> Int64? {
        switch value {
        case .int(let n)?: n
        case .double(let d)?: Int64(exactly: d.rounded())
        default: nil
        }
    }

    private static func bytes(_ members: Fields, _ name: String) throws(BadRecord) -> [UInt8]? {
        if case .string(let text)? = members[name] { return Array(text.utf8) }
        if case .string(let encoded)? = members[name + "_base64"] {
            guard let data = Data(base64Encoded: encoded) else { throw BadRecord(description: "\(name)_base64 is not base64") }
            return Array(data)
        }
        return nil
    }

    private static func headers(_ members: Fields) throws(BadRecord) -> [RecordHeader] {
        guard case .array(let items)? = members["headers"] else { return [] }
        var headers: [RecordHeader] = []
        for item in items {
            guard case .object(let header) = item, case .string(let key)? = header["key"] else {
                throw BadRecord(description: "a header is not {\"key\":…,\"value\":…}")
            }
            headers.append(RecordHeader(key: key, value: try bytes(header, "value")))
        }
        return headers
    }
}
