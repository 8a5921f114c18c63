import Foundation
import Testing
import WeirTestSupport

/// `weir serve --kafka --http`: a real Kafka client in a group shows in `GET /api/kafka`
/// and in `weir top`.
@Suite struct TopClientsTests {
    @Test("a kcat -G consumer shows in /api/kafka (connection and group member) and in weir top's Kafka sections")
    func kcatConsumerShowsInTop() async throws {
        let directory = TemporaryDirectory()
        let dataDir = directory.path + "/data"
        try await weirCommand(dataDir, ["topics", "create", "watched", "--partitions", "2"])
        let serving = try await ServingWeir.start(dataDir: dataDir, extra: ["--http", "127.0.0.1:0"])
        let produced = try await Clients.run(
            Clients.kcat, ["-b", serving.address, "-P", "-t", "watched", "-K", ":"], input: Data("a:1\nb:2\nc:3\nd:4\ne:5\n".utf8))
        #expect(produced.status == 0, "\(produced.stderr)")
        let http = try await serving.logLine(containing: ["on http://"]).components(separatedBy: "on http://").last?
            .prefix { !$0.isWhitespace }
        let url = "http://" + String(try #require(http))

        let consumer = try BackgroundClient(
            Clients.kcat,
            [
                "-b", serving.address, "-G", "watchers", "watched", "-o", "beginning", "-X", "client.id=top-watcher",
                "-X", "auto.commit.interval.ms=100", "-X", "heartbeat.interval.ms=500",
            ])
        try await consumer.waitFor("the consumer owns both partitions") { _, err in KcatTests.lastAssignment(err)?.count == 2 }

        // Its connection (client id, software from ApiVersions) and its membership, with the
        // group's lag falling to 0 once it has committed what it read.
        let body = try await onOwnThread {
            try waitUntil("/api/kafka shows the consumer, a member of watchers with lag 0") { () -> Data? in
                let (status, body) = try httpGet(url + "/api/kafka")
                guard status == 200, let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else { return nil }
                let groups = object["groups"] as? [[String: Any]] ?? []
                let watchers = groups.first { $0["group"] as? String == "watchers" }
                return watchers?["lag"] as? Int == 0 ? body : nil
            }
        }
        let report = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect(report["serving"] as? Bool == true)
        let clients = try #require(report["clients"] as? [[String: Any]])
        let watcher = try #require(clients.first { $0["client_id"] as? String == "top-watcher" }, "\(clients)")
        #expect((watcher["client_software"] as? String)?.hasPrefix("librdkafka") == true, "\(watcher)")
        #expect((watcher["peer"] as? String)?.hasPrefix("127.0.0.1:") == true)
        #expect((watcher["requests"] as? Int ?? 0) > 0)
        #expect((watcher["received_bytes"] as? Int ?? 0) > 0 && (watcher["sent_bytes"] as? Int ?? 0) > 0)
        let groups = try #require(report["groups"] as? [[String: Any]])
        let watchers = try #require(groups.first { $0["group"] as? String == "watchers" })
        #expect(watchers["state"] as? String == "Stable")
        let members = try #require(watchers["members"] as? [[String: Any]])
        #expect(members.count == 1)
        #expect(members.first?["client_id"] as? String == "top-watcher")
        #expect(members.first?["host"] as? String == "127.0.0.1")
        #expect(members.first?["lag"] as? Int == 0)
        let partitions = members.first?["partitions"] as? [[String: Any]] ?? []
        #expect(partitions.map { "\($0["topic"] ?? "")/\($0["partition"] ?? "")" } == ["watched/0", "watched/1"])

        // weir top, piped: the views until one has the member's row (the client's comes
        // before it, in the same view), then SIGINT.
        let (text, status) = try await onOwnThread { () -> (String, Int32) in
            let top = try ChildProcess(Paths.weir, ["top", "--http", String(url.dropFirst("http://".count)), "--interval", "0.2"])
            var text = ""
            let found = Result {
                try waitUntil("weir top shows the group's member") { () -> Bool? in
                    text += String(decoding: readAvailable(top.stdout, seconds: 0.2), as: UTF8.self)
                    return text.split(separator: "\n").dropLast().contains { Self.isMemberRow($0) } ? true : nil
                }
            }
            kill(top.pid, SIGINT)
            let status = top.wait()
            _ = try found.get()
            return (text, status)
        }
        #expect(status == 0)
        let view = text.split(separator: "\n")
        #expect(view.contains { $0.hasPrefix("ADDRESS ") && $0.contains("SOFTWARE") && $0.hasSuffix("AGE") }, "\(text)")
        #expect(view.contains { $0.hasPrefix("127.0.0.1:") && $0.contains("top-watcher") && $0.contains("librdkafka") }, "\(text)")
        #expect(view.contains { $0.hasPrefix("GROUP ") && $0.contains(" PARTITIONS ") && $0.hasSuffix(" LAG") }, "\(text)")
        #expect(view.contains { Self.isMemberRow($0) && $0.hasSuffix(" 0") }, "\(text)")
        #expect(!text.contains("\u{1B}["), "no terminal escapes in piped output")

        consumer.stop()
        #expect(try await serving.stopped() == 0, "\(serving.stderr)")
    }

    /// weir top's row for the consumer in "Group members from outside".
    static func isMemberRow(_ line: Substring) -> Bool {
        line.hasPrefix("watchers ") && line.contains(" top-watcher ") && line.contains(" 127.0.0.1 ") && line.contains(" watched/0,1")
    }
}
