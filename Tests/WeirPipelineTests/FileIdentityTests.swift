import Foundation
import Testing
import WeirValues

@testable import WeirPipeline

@Suite("File identity")
struct FileIdentityTests {
    let directory = FileManager.default.temporaryDirectory.path + "/weir-identity-\(UUID().uuidString)"

    init() throws { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }

    func write(_ name: String, _ text: String) throws -> String {
        let path = directory + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("a renamed file is still itself; a new file at the old path is not")
    func rename() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try write("app.log", "Dec 10 06:55:46 LabSZ sshd[24200]: first line\n")
        let identity = try #require(FileIdentity.of(path: path))
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        _ = try write("app.log", "Dec 10 07:00:00 LabSZ sshd[24300]: a new file\n")
        #expect(identity.matches(path: path + ".1"))
        #expect(!identity.matches(path: path))
    }

    @Test("a file that grew is still itself; one whose first bytes changed (reused inode, copytruncate) is not")
    func growthAndReuse() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try write("grow.log", "short start\n")
        let identity = try #require(FileIdentity.of(path: path))
        #expect(identity.fingerprintLength == 12)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(String(repeating: "more text\n", count: 300).utf8))
        try handle.close()
        #expect(identity.matches(path: path))
        let grown = try #require(FileIdentity.of(path: path))
        #expect(grown.fingerprintLength == FileIdentity.fingerprintSize)
        // Truncated and rewritten in place: same inode, different content.
        let rewrite = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try rewrite.truncate(atOffset: 0)
        try rewrite.write(contentsOf: Data("other start\n".utf8))
        try rewrite.close()
        #expect(FileIdentity.of(path: path)?.inode == grown.inode)
        #expect(!identity.matches(path: path))
        #expect(!grown.matches(path: path))
    }

    @Test("directories and missing files have no identity")
    func notFiles() {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(FileIdentity.of(path: directory) == nil)
        #expect(FileIdentity.of(path: directory + "/missing") == nil)
    }
}
