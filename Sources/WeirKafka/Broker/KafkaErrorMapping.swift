import WeirLog

extension KafkaErrorCode {
    /// The Kafka error a client should see for an error of the log.
    init(_ error: any Error) {
        switch error {
        case let error as WeirLogError:
            switch error {
            case .invalidTopicName: self = .invalidTopicException
            case .topicExists: self = .topicAlreadyExists
            case .unknownTopic, .invalidPartition, .partitionDeleted: self = .unknownTopicOrPartition
            case .invalidConfig: self = .invalidConfig
            case .offsetOutOfRange: self = .offsetOutOfRange
            case .corruptBatch: self = .corruptMessage
            case .unsupportedCompressionCodec: self = .unsupportedCompressionType
            case .recordTooLarge: self = .messageTooLarge
            case .unknownGroupMember: self = .unknownMemberID
            case .staleGeneration: self = .illegalGeneration
            case .partitionNotAssigned: self = .illegalGeneration
            case .groupHasActiveMembers: self = .nonEmptyGroup
            case .unknownGroup: self = .groupIDNotFound
            case .io: self = .kafkaStorageError
            default: self = .unknownServerError
            }
        default: self = .unknownServerError
        }
    }
}
