import Foundation
import Testing
import WeirTestSupport

@testable import WeirLog

/// A process killed while it creates or deletes a topic must leave a data directory
/// that opens, with the topic either whole or gone, and its name free to create again.
/// (Found by the torture run: a kill -9 between `mkdir` and `topic.json` left a directory
/// that blocked the topic's creation forever.)
@Suite("Topic create and delete interrupted by a crash")
struct TopicLifecycleCrashTests {
    /// The states a crash can leave, laid out by hand in a data directory.
    enum Leftover: String, CaseIterable {
        /// Weir before this fix: the directory made, `topic.json` not yet renamed into place.
        case directoryWithOnlyATemporaryConfig
        case emptyDirectory
        /// This version, killed before the staging directory was renamed into place.
        case stagingDirectory
        /// This version, killed while the renamed-away tree was being removed.
        case halfRemovedTree
    }

    @Test("a leftover is removed at open and the topic can be created again", arguments: Leftover.allCases)
    func leftoverIsRemovedAtOpen(_ leftover: Leftover) throws {
        let directory = TemporaryDirectory()
        let topics = directory.path + "/topics"
        try FileManager.default.createDirectory(atPath: topics, withIntermediateDirectories: true)
        let leftoverPath: String
        switch leftover {
        case .directoryWithOnlyATemporaryConfig:
            leftoverPath = topics + "/t"
            try FileManager.default.createDirectory(atPath: leftoverPath, withIntermediateDirectories: true)
            try Data("{\"partitions\":4}".utf8).write(to: URL(fileURLWithPath: leftoverPath + "/topic.json.tmp"))
        case .emptyDirectory:
            leftoverPath = topics + "/t"
            try FileManager.default.createDirectory(atPath: leftoverPath, withIntermediateDirectories: true)
        case .stagingDirectory:
            leftoverPath = topics + "/" + EmbeddedLog.stagingDirectory + "/t"
            try FileManager.default.createDirectory(atPath: leftoverPath, withIntermediateDirectories: true)
            try Data("{}".utf8).write(to: URL(fileURLWithPath: leftoverPath + "/topic.json"))
        case .halfRemovedTree:
            leftoverPath = topics + "/" + EmbeddedLog.deletingDirectory + "/0F0F"
            try FileManager.default.createDirectory(atPath: leftoverPath + "/0", withIntermediateDirectories: true)
            try Data([1, 2, 3]).write(to: URL(fileURLWithPath: leftoverPath + "/0/00000000000000000000.log"))
        }

        let log = try EmbeddedLog(directory: directory.path)
        #expect(!FileManager.default.fileExists(atPath: leftoverPath))
        #expect(log.topicNames.isEmpty)
        let topic = try log.createTopic("t", config: TopicConfig(partitions: 2))
        try topic.append([Record(value: bytes("after"), timestamp: currentTimeMillis())], partition: 1)
        try log.close()

        let reopened = try EmbeddedLog(directory: directory.path)
        #expect(reopened.topicNames == ["t"])
        #expect(try reopened.topic("t").partitions[1].endOffset == 1)
        try reopened.close()
    }

    @Test("a directory with partitions but no configuration is kept, not deleted")
    func dataWithoutConfigurationIsKept() throws {
        let directory = TemporaryDirectory()
        let partition = directory.path + "/topics/t/0"
        try FileManager.default.createDirectory(atPath: partition, withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: partition + "/00000000000000000000.log"))

        let log = try EmbeddedLog(directory: directory.path)
        #expect(FileManager.default.fileExists(atPath: partition + "/00000000000000000000.log"))
        #expect(throws: WeirLogError.topicExists("t")) { try log.createTopic("t") }
        try log.close()
    }

    @Test("create and delete leave nothing but the topics")
    func createAndDeleteLeaveNoStagingNames() throws {
        let directory = TemporaryDirectory()
        let log = try EmbeddedLog(directory: directory.path)
        _ = try log.createTopic("kept", config: TopicConfig(partitions: 1))
        _ = try log.createTopic("gone", config: TopicConfig(partitions: 3))
        try log.deleteTopic("gone")
        _ = try log.createTopic("gone", config: TopicConfig(partitions: 1))
        try log.deleteTopic("gone")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/topics")
        #expect(Set(names) == ["kept", EmbeddedLog.stagingDirectory, EmbeddedLog.deletingDirectory])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/topics/" + EmbeddedLog.stagingDirectory).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/topics/" + EmbeddedLog.deletingDirectory).isEmpty)
        let kept = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/topics/kept").sorted()
        #expect(kept == ["0", "incarnation", "topic.json"])
        try log.close()
    }

    @Test("a topic name of Kafka's longest length is created and deleted")
    func longestNamesFit() throws {
        let directory = TemporaryDirectory()
        let log = try EmbeddedLog(directory: directory.path)
        let name = String(repeating: "n", count: TopicName.maxLength)
        _ = try log.createTopic(name, config: TopicConfig(partitions: 1))
        try log.deleteTopic(name)
        _ = try log.createTopic(name, config: TopicConfig(partitions: 1))
        #expect(log.topicNames == [name])
        try log.close()
    }

    @Test("a directory that is no topic name is left alone")
    func otherDirectoriesAreLeftAlone() throws {
        let directory = TemporaryDirectory()
        let lostAndFound = directory.path + "/topics/lost+found"
        try FileManager.default.createDirectory(atPath: lostAndFound, withIntermediateDirectories: true)
        let log = try EmbeddedLog(directory: directory.path)
        #expect(FileManager.default.fileExists(atPath: lostAndFound))
        #expect(log.topicNames.isEmpty)
        try log.close()
    }
}
