/// Kafka's error codes (`org.apache.kafka.common.protocol.Errors`), those Weir answers with.
public enum KafkaErrorCode: Int16, Sendable, Equatable {
    case unknownServerError = -1
    case none = 0
    case offsetOutOfRange = 1
    case corruptMessage = 2
    case unknownTopicOrPartition = 3
    case invalidFetchSize = 4
    case leaderNotAvailable = 5
    case notLeaderOrFollower = 6
    case requestTimedOut = 7
    case messageTooLarge = 10
    case offsetMetadataTooLarge = 12
    case coordinatorLoadInProgress = 14
    case coordinatorNotAvailable = 15
    case notCoordinator = 16
    case invalidTopicException = 17
    case recordListTooLarge = 18
    case notEnoughReplicas = 19
    case invalidRequiredAcks = 21
    case illegalGeneration = 22
    case inconsistentGroupProtocol = 23
    case invalidGroupID = 24
    case unknownMemberID = 25
    case invalidSessionTimeout = 26
    case rebalanceInProgress = 27
    case invalidCommitOffsetSize = 28
    case topicAuthorizationFailed = 29
    case groupAuthorizationFailed = 30
    case clusterAuthorizationFailed = 31
    case invalidTimestamp = 32
    case unsupportedSASLMechanism = 33
    case illegalSASLState = 34
    case unsupportedVersion = 35
    case topicAlreadyExists = 36
    case invalidPartitions = 37
    case invalidReplicationFactor = 38
    case invalidReplicaAssignment = 39
    case invalidConfig = 40
    case notController = 41
    case invalidRequest = 42
    case unsupportedForMessageFormat = 43
    case policyViolation = 44
    case outOfOrderSequenceNumber = 45
    case duplicateSequenceNumber = 46
    case invalidProducerEpoch = 47
    case invalidTransactionTimeout = 50
    case saslAuthenticationFailed = 58
    case unknownProducerID = 59
    case nonEmptyGroup = 68
    case groupIDNotFound = 69
    case memberIDRequired = 79
    case unsupportedCompressionType = 76
    case kafkaStorageError = 56
    case groupMaxSizeReached = 81
    case fencedInstanceID = 82
}

extension KafkaErrorCode {
    /// Reads an error code; one Weir does not know reads as `unknownServerError`.
    public init(reading reader: inout KafkaReader) throws {
        self = KafkaErrorCode(rawValue: try reader.int16()) ?? .unknownServerError
    }
}
