/// DescribeConfigs (key 32): admin clients read a topic's or broker's settings with it
/// (`kafka-configs --describe`, kafka-python's `describe_configs`). A topic's are Weir's
/// `TopicConfig` under Kafka's names (`KafkaConfigNames`).
public enum DescribeConfigsAPI: KafkaAPI {
    public static let key = APIKey.describeConfigs
    public static let versions: ClosedRange<Int16> = 0...3
    public static let firstFlexibleVersion: Int16 = 4

    /// Kafka's resource types (`ConfigResource.Type`), those a client asks Weir about.
    public enum ResourceType {
        public static let topic: Int8 = 2
        public static let broker: Int8 = 4
    }

    /// Where a value comes from (`DescribeConfigsResponse.ConfigSource`), v1+.
    public enum ConfigSource {
        public static let unknown: Int8 = 0
        /// Set for this topic (at creation, for Weir).
        public static let dynamicTopicConfig: Int8 = 1
        public static let staticBrokerConfig: Int8 = 4
        /// Nobody set it: the default.
        public static let defaultConfig: Int8 = 5
    }

    public struct Request: KafkaMessage, Equatable {
        public struct DescribeConfigsResource: Sendable, Equatable {
            public var resourceType: Int8
            public var resourceName: String
            /// The names wanted, or nil for all of them.
            public var configurationKeys: [String]?

            public init(resourceType: Int8, resourceName: String, configurationKeys: [String]? = nil) {
                self.resourceType = resourceType
                self.resourceName = resourceName
                self.configurationKeys = configurationKeys
            }
        }

        public var resources: [DescribeConfigsResource]
        /// v1+.
        public var includeSynonyms: Bool
        /// v3+.
        public var includeDocumentation: Bool

        public init(resources: [DescribeConfigsResource], includeSynonyms: Bool = false, includeDocumentation: Bool = false) {
            self.resources = resources
            self.includeSynonyms = includeSynonyms
            self.includeDocumentation = includeDocumentation
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            resources = try reader.array { reader in
                let resource = DescribeConfigsResource(
                    resourceType: try reader.int8(), resourceName: try reader.string(),
                    configurationKeys: try reader.nullableArray { try $0.string() })
                try reader.taggedFields()
                return resource
            }
            includeSynonyms = version >= 1 ? try reader.bool() : false
            includeDocumentation = version >= 3 ? try reader.bool() : false
            try reader.taggedFields()
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.array(resources) { writer, resource in
                writer.int8(resource.resourceType)
                writer.string(resource.resourceName)
                writer.nullableArray(resource.configurationKeys) { $0.string($1) }
                writer.taggedFields()
            }
            if version >= 1 { writer.bool(includeSynonyms) }
            if version >= 3 { writer.bool(includeDocumentation) }
            writer.taggedFields()
        }
    }

    public struct Response: KafkaMessage, Equatable {
        public struct DescribeConfigsResult: Sendable, Equatable {
            public var errorCode: KafkaErrorCode
            public var errorMessage: String?
            public var resourceType: Int8
            public var resourceName: String
            public var configs: [DescribeConfigsResourceResult]

            public init(
                errorCode: KafkaErrorCode = .none, errorMessage: String? = nil, resourceType: Int8, resourceName: String,
                configs: [DescribeConfigsResourceResult]
            ) {
                self.errorCode = errorCode
                self.errorMessage = errorMessage
                self.resourceType = resourceType
                self.resourceName = resourceName
                self.configs = configs
            }
        }

        public struct DescribeConfigsResourceResult: Sendable, Equatable {
            public var name: String
            public var value: String?
            public var readOnly: Bool
            /// v0 only; from v1 `configSource` says it (`ConfigSource.defaultConfig`).
            public var isDefault: Bool
            /// v1+ (`ConfigSource`); -1 in v0.
            public var configSource: Int8
            public var isSensitive: Bool
            /// v1+: the same setting under other names, most specific first.
            public var synonyms: [DescribeConfigsSynonym]
            /// v3+: Kafka's `ConfigType` (1 BOOLEAN, 2 STRING, 3 INT, 4 SHORT, 5 LONG, 6 DOUBLE, 7 LIST, …), 0 unknown.
            public var configType: Int8
            /// v3+.
            public var documentation: String?

            public init(
                name: String, value: String?, readOnly: Bool = false, isDefault: Bool = false, configSource: Int8 = -1,
                isSensitive: Bool = false, synonyms: [DescribeConfigsSynonym] = [], configType: Int8 = 0, documentation: String? = nil
            ) {
                self.name = name
                self.value = value
                self.readOnly = readOnly
                self.isDefault = isDefault
                self.configSource = configSource
                self.isSensitive = isSensitive
                self.synonyms = synonyms
                self.configType = configType
                self.documentation = documentation
            }
        }

        public struct DescribeConfigsSynonym: Sendable, Equatable {
            public var name: String
            public var value: String?
            public var source: Int8

            public init(name: String, value: String?, source: Int8) {
                self.name = name
                self.value = value
                self.source = source
            }
        }

        public var throttleTimeMs: Int32
        public var results: [DescribeConfigsResult]

        public init(throttleTimeMs: Int32 = 0, results: [DescribeConfigsResult]) {
            self.throttleTimeMs = throttleTimeMs
            self.results = results
        }

        public init(from reader: inout KafkaReader, version: Int16) throws {
            throttleTimeMs = try reader.int32()
            results = try reader.array { reader in
                let errorCode = try KafkaErrorCode(reading: &reader)
                let errorMessage = try reader.nullableString()
                let resourceType = try reader.int8()
                let resourceName = try reader.string()
                let configs = try reader.array { reader in try Self.readConfig(from: &reader, version: version) }
                try reader.taggedFields()
                return DescribeConfigsResult(
                    errorCode: errorCode, errorMessage: errorMessage, resourceType: resourceType, resourceName: resourceName,
                    configs: configs)
            }
            try reader.taggedFields()
        }

        private static func readConfig(from reader: inout KafkaReader, version: Int16) throws -> DescribeConfigsResourceResult {
            let name = try reader.string()
            let value = try reader.nullableString()
            let readOnly = try reader.bool()
            let isDefault = version == 0 ? try reader.bool() : false
            let configSource = version >= 1 ? try reader.int8() : -1
            let isSensitive = try reader.bool()
            var synonyms: [DescribeConfigsSynonym] = []
            if version >= 1 {
                synonyms = try reader.array { reader in
                    let synonym = DescribeConfigsSynonym(
                        name: try reader.string(), value: try reader.nullableString(), source: try reader.int8())
                    try reader.taggedFields()
                    return synonym
                }
            }
            let configType = version >= 3 ? try reader.int8() : 0
            let documentation = version >= 3 ? try reader.nullableString() : nil
            try reader.taggedFields()
            return DescribeConfigsResourceResult(
                name: name, value: value, readOnly: readOnly, isDefault: isDefault, configSource: configSource,
                isSensitive: isSensitive, synonyms: synonyms, configType: configType, documentation: documentation)
        }

        public func write(to writer: inout KafkaWriter, version: Int16) {
            writer.int32(throttleTimeMs)
            writer.array(results) { writer, result in
                writer.int16(result.errorCode.rawValue)
                writer.nullableString(result.errorMessage)
                writer.int8(result.resourceType)
                writer.string(result.resourceName)
                writer.array(result.configs) { writer, config in
                    writer.string(config.name)
                    writer.nullableString(config.value)
                    writer.bool(config.readOnly)
                    if version == 0 { writer.bool(config.isDefault) }
                    if version >= 1 { writer.int8(config.configSource) }
                    writer.bool(config.isSensitive)
                    if version >= 1 {
                        writer.array(config.synonyms) { writer, synonym in
                            writer.string(synonym.name)
                            writer.nullableString(synonym.value)
                            writer.int8(synonym.source)
                            writer.taggedFields()
                        }
                    }
                    if version >= 3 {
                        writer.int8(config.configType)
                        writer.nullableString(config.documentation)
                    }
                    writer.taggedFields()
                }
                writer.taggedFields()
            }
            writer.taggedFields()
        }
    }
}
