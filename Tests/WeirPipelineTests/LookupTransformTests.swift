import Foundation
import Synchronization
import Testing
import WeirValues

@testable import WeirPipeline

/// A directory of its own for one test's table files.
final class LookupScratch {
    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("weir-lookup-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Writes `text` to `name` in place (same inode when it exists) and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let path = directory + "/" + name
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: FileManager.default.fileExists(atPath: path) ? path : create(path)))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
        return path
    }

    private func create(_ path: String) -> String {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        return path
    }

    /// Writes `text` to a new file and renames it over `name` (a new inode), as deploy tools do.
    func replace(_ name: String, _ text: String) throws {
        let temporary = directory + "/." + name + ".new"
        try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        #expect(rename(temporary, directory + "/" + name) == 0)
    }
}

@Suite("lookup")
struct LookupTransformTests {
    static let geo = #"""
        ip,country,city
        10.0.0.1,NL,Amsterdam
        10.0.0.2,"US","New York, NY"
        42,ZZ,"The ""answer"""

        """#

    func record(_ fields: Fields) -> PipelineRecord { PipelineRecord(timestamp: 1, fields: fields) }

    /// A record as a source gives it after a parser: `ip` held as bytes.
    func record(ip: String) -> PipelineRecord {
        var fields = Fields()
        fields.setText("ip", Array(ip.utf8)[...])
        return PipelineRecord(timestamp: 1, fields: fields)
    }

    func lookup(_ scratch: LookupScratch, _ options: String, table: String = "geo.csv") throws -> any RecordTransform {
        try makeTransform("type: lookup\npath: \(scratch.directory)/\(table)\n" + options)
    }

    @Test("a CSV row's columns but the key are merged; quoted values as RFC 4180 reads them")
    func csvMerge() throws {
        let scratch = try LookupScratch()
        try scratch.write("geo.csv", Self.geo)
        let t = try lookup(scratch, "key: ip")
        let out = t.process([record(ip: "10.0.0.1"), record(["ip": .string("10.0.0.2"), "n": .int(1)])])
        #expect(
            out.records.map(\.fields) == [
                ["ip": .string("10.0.0.1"), "country": .string("NL"), "city": .string("Amsterdam")],
                ["ip": .string("10.0.0.2"), "n": .int(1), "country": .string("US"), "city": .string("New York, NY")],
            ])
        // The order of the row's columns is kept after the record's own fields.
        #expect(out.records[0].fields.keys == ["ip", "country", "city"])
    }

    @Test("keys are compared in their string form: an int field 42 matches the key \"42\"")
    func stringForm() throws {
        let scratch = try LookupScratch()
        try scratch.write("geo.csv", Self.geo)
        let t = try lookup(scratch, "key: ip\nfield: code\ntarget: geo")
        let out = t.process([record(["code": .int(42)]), record(["code": .string("42")]), record(["code": .double(42)])])
        let row: Value = .object(["country": .string("ZZ"), "city": .string(#"The "answer""#)])
        #expect(out.records.map { $0.fields["geo"] } == [row, row, nil])
    }

    @Test("target puts the row under one field; merging leaves fields the record has unless overwrite")
    func targetAndOverwrite() throws {
        let scratch = try LookupScratch()
        try scratch.write("geo.csv", Self.geo)
        let mine = record(["ip": .string("10.0.0.1"), "country": .string("mine")])
        let merged = try lookup(scratch, "key: ip").process([mine]).records[0].fields
        #expect(merged == ["ip": .string("10.0.0.1"), "country": .string("mine"), "city": .string("Amsterdam")])
        let overwritten = try lookup(scratch, "key: ip\noverwrite: true").process([mine]).records[0].fields
        #expect(overwritten == ["ip": .string("10.0.0.1"), "country": .string("NL"), "city": .string("Amsterdam")])
        let targeted = try lookup(scratch, "key: ip\ntarget: geo\ncolumns: [city, ip]").process([mine]).records[0].fields
        #expect(targeted["geo"] == .object(["ip": .string("10.0.0.1"), "city": .string("Amsterdam")]))
        #expect(targeted["country"] == .string("mine"))
    }

    @Test("types convert CSV columns; an empty typed value is null")
    func types() throws {
        let scratch = try LookupScratch()
        try scratch.write("hosts.csv", "host,rack,weight,active\r\na,3,0.5,true\r\nb,,,false")
        let t = try lookup(scratch, "key: host\ntypes: {rack: int, weight: double, active: bool}", table: "hosts.csv")
        let out = t.process([record(["host": .string("a")]), record(["host": .string("b")])]).records.map(\.fields)
        #expect(out[0] == ["host": .string("a"), "rack": .int(3), "weight": .double(0.5), "active": .bool(true)])
        #expect(out[1] == ["host": .string("b"), "rack": .null, "weight": .null, "active": .bool(false)])
    }

    @Test("a JSON-lines table: rows keep their JSON values; a number key matches a string field")
    func jsonLines() throws {
        let scratch = try LookupScratch()
        try scratch.write(
            "users.jsonl",
            "{\"id\": 7, \"name\": \"Ann\", \"roles\": [\"admin\"]}\n\n{\"id\": \"bob\", \"name\": \"Bob\", \"limits\": {\"rps\": 10}}\n")
        let t = try lookup(scratch, "key: id\nfield: user\ntarget: account", table: "users.jsonl")
        let out = t.process([record(["user": .string("7")]), record(["user": .string("bob")])]).records.map(\.fields)
        #expect(out[0]["account"] == .object(["name": .string("Ann"), "roles": .array([.string("admin")])]))
        #expect(out[1]["account"] == .object(["name": .string("Bob"), "limits": .object(["rps": .int(10)])]))
    }

    @Test("on_missing: keep passes the record unchanged, drop drops it, dead_letter fails it with a reason")
    func missing() throws {
        let scratch = try LookupScratch()
        let path = try scratch.write("geo.csv", Self.geo)
        let batch = [record(ip: "10.9.9.9"), record(["other": .int(1)]), record(["ip": .object([:])]), record(ip: "10.0.0.1")]
        let kept = try lookup(scratch, "key: ip").process(batch)
        #expect(kept.records.count == 4 && kept.failures.isEmpty)
        #expect(Array(kept.records.prefix(3)) == Array(batch.prefix(3)))
        let dropped = try lookup(scratch, "key: ip\non_missing: drop").process(batch)
        #expect(dropped.records.map { $0.fields["country"] } == [.string("NL")] && dropped.failures.isEmpty)
        let failed = try lookup(scratch, "key: ip\non_missing: dead_letter").process(batch)
        #expect(failed.records.count == 1)
        #expect(
            failed.failures.map(\.reason) == [
                "lookup: no row of \(path) has the key '10.9.9.9' ('ip')", "lookup: the record has no field 'ip'",
                "lookup: 'ip' is an object, not a key",
            ])
        #expect(failed.failures.map(\.record) == Array(batch.prefix(3)))
    }

    func country(_ t: any RecordTransform, _ ip: String = "10.0.0.1") -> Value? {
        t.process([record(ip: ip)]).records.first?.fields["country"]
    }

    @Test("a table replaced by a rename is reloaded at the next look")
    func reloadAfterRename() throws {
        let scratch = try LookupScratch()
        try scratch.write("geo.csv", Self.geo)
        let t = try lookup(scratch, "key: ip\ncheck_interval_ms: 0")
        #expect(country(t) == .string("NL"))
        try scratch.replace("geo.csv", "ip,country\n10.0.0.1,BE\n")
        #expect(country(t) == .string("BE"))
        #expect(country(t, "10.0.0.2") == nil)
        let counts = try #require((t as? LookupTransform)?.file?.counts)
        #expect(counts == (reloads: 1, failures: 0))
    }

    @Test("a table rewritten in place is reloaded")
    func reloadInPlace() throws {
        let scratch = try LookupScratch()
        try scratch.write("geo.csv", Self.geo)
        let t = try lookup(scratch, "key: ip\ncheck_interval_ms: 0")
        #expect(country(t) == .string("NL"))
        try scratch.write("geo.csv", "ip,country\n10.0.0.1,FR\n10.0.0.3,DE\n")
        #expect(country(t) == .string("FR"))
        #expect(country(t, "10.0.0.3") == .string("DE"))
    }

    @Test("a reload that fails keeps the table it had, counts the failure once, and a fixed file loads")
    func brokenReload() throws {
        let scratch = try LookupScratch()
        try scratch.write("geo.csv", Self.geo)
        let t = try lookup(scratch, "key: ip\ncheck_interval_ms: 0")
        let file = try #require((t as? LookupTransform)?.file ?? nil)
        #expect(country(t) == .string("NL"))
        try scratch.write("geo.csv", "ip,country\n10.0.0.1,BE\n10.0.0.2,\"half")
        #expect(country(t) == .string("NL"))
        #expect(country(t) == .string("NL"))
        #expect(file.counts == (reloads: 0, failures: 1))
        try FileManager.default.removeItem(atPath: scratch.directory + "/geo.csv")
        #expect(country(t) == .string("NL"))
        #expect(file.counts == (reloads: 0, failures: 2))
        try scratch.replace("geo.csv", "ip,country\n10.0.0.1,BE\n")
        #expect(country(t) == .string("BE"))
        #expect(file.counts == (reloads: 1, failures: 2))
    }

    @Test("members at parallelism > 1 share the table while it is replaced: every record gets an old or a new row")
    func sharedAcrossMembers() throws {
        let scratch = try LookupScratch()
        try scratch.write("geo.csv", "ip,country\n10.0.0.1,V0\n")
        let t = try lookup(scratch, "key: ip\ncheck_interval_ms: 0")
        let seen = Mutex<Set<Value?>>([])
        let done = DispatchGroup()
        for _ in 0..<4 {
            done.enter()
            Thread.detachNewThread {
                for _ in 0..<300 {
                    let out = t.process(Array(repeating: self.record(ip: "10.0.0.1"), count: 50)).records
                    seen.withLock { $0.formUnion(out.map { $0.fields["country"] }) }
                }
                done.leave()
            }
        }
        for version in 1...20 { try scratch.replace("geo.csv", "ip,country\n10.0.0.1,V\(version)\n") }
        done.wait()
        let values = seen.withLock { $0 }
        #expect(!values.contains(nil))
        #expect(values.isSubset(of: Set((0...20).map { Value?.some(.string("V\($0)")) })))
        #expect(country(t) == .string("V20"))
    }

    @Test("the file is looked at no more often than check_interval_ms")
    func interval() throws {
        let scratch = try LookupScratch()
        try scratch.write("geo.csv", Self.geo)
        let t = try lookup(scratch, "key: ip\ncheck_interval_ms: 3600000")
        #expect(country(t) == .string("NL"))
        try scratch.replace("geo.csv", "ip,country\n10.0.0.1,BE\n")
        #expect(country(t) == .string("NL"))
    }

    /// The reason the run stops when the first load of `table` (written as `text`) fails.
    func loadFailure(_ name: String, _ text: String?, _ options: String = "key: ip") throws -> String? {
        let scratch = try LookupScratch()
        if let text { try scratch.write(name, text) }
        return try lookup(scratch, options, table: name).process([record(ip: "10.0.0.1")]).fatal?
            .replacingOccurrences(of: scratch.directory + "/", with: "")
    }

    @Test("a table that does not load stops the run with its file and line")
    func loadErrors() throws {
        let prefix = "lookup 't': "
        #expect(try loadFailure("geo.csv", nil) == prefix + "geo.csv: No such file or directory")
        #expect(try loadFailure("geo.csv", "") == prefix + "geo.csv: has no header line (a CSV table's first line names its columns)")
        #expect(try loadFailure("geo.csv", "addr,country\n") == prefix + "geo.csv:1: the header has no column 'ip' (key)")
        #expect(
            try loadFailure("geo.csv", "ip,country\n1,a\n\n2,b,c\n")
                == prefix + "geo.csv:4: has 3 values for the header's 2 columns")
        #expect(try loadFailure("geo.csv", "ip,country\n1,\"a\n") == prefix + "geo.csv:2: value 2 has no closing quote")
        #expect(try loadFailure("geo.csv", "ip,country\n1,a\n1,b\n") == prefix + "geo.csv:3: key '1' is already the key of line 2")
        #expect(
            try loadFailure("geo.csv", "ip,n\n1,x\n", "key: ip\ntypes: {n: int}") == prefix + "geo.csv:2: column 'n' is not an int: 'x'")
        #expect(
            try loadFailure("geo.csv", "ip,n\n1,x\n", "key: ip\ncolumns: [m]") == prefix
                + "geo.csv:1: the header has no column 'm' (columns)")
        #expect(try loadFailure("t.jsonl", "{\"ip\": 1}\n[1]\n") == prefix + "t.jsonl:2: is an array, not a JSON object")
        #expect(try loadFailure("t.jsonl", "{\"ip\": 1}\n{\"ip\": \n")?.hasPrefix(prefix + "t.jsonl:2: is not JSON: ") == true)
        #expect(try loadFailure("t.jsonl", "{\"ip\": null}\n") == prefix + "t.jsonl:1: has null 'ip', not a string, number or bool")
        #expect(try loadFailure("t.jsonl", "{\"id\": 1}\n") == prefix + "t.jsonl:1: has no member 'ip' (key)")
    }

    @Test("a table over max_rows is refused at load, whole")
    func maxRows() throws {
        let rows = (1...5).map { "10.0.0.\($0),X" }.joined(separator: "\n")
        #expect(
            try loadFailure("geo.csv", "ip,country\n" + rows, "key: ip\nmax_rows: 4")
                == "lookup 't': geo.csv: has 5 rows, more than max_rows (4); the table was not loaded")
        #expect(try loadFailure("geo.csv", "ip,country\n" + rows, "key: ip\nmax_rows: 5") == nil)
    }

    @Test("options are checked with positions, without reading the file")
    func validation() {
        #expect(
            transformDiagnostics("type: lookup\npath: /nowhere/t.txt\nkey: ip").contains {
                $0.contains("path has no .csv, .jsonl or .ndjson extension")
            })
        #expect(transformDiagnostics("type: lookup\npath: /nowhere/t.txt\nkey: ip\nformat: csv").isEmpty)
        #expect(
            transformDiagnostics("type: lookup\npath: /nowhere/t.jsonl\nkey: ip\ntypes: {a: int}").contains {
                $0.contains("types is for CSV tables")
            })
        #expect(
            transformDiagnostics("type: lookup\npath: /nowhere/t.csv\nkey: ip\ntypes: {a: integer}").contains {
                $0.contains("use int, double, bool or string")
            })
        #expect(transformDiagnostics("type: lookup\npath: /nowhere/t.csv\nkey: ip\non_missing: fail").count == 1)
        #expect(transformDiagnostics("type: lookup\npath: /nowhere/t.csv").contains { $0.contains("key") })
    }

    @Test("the ssh sample's IPs enriched from a table: every line with a listed IP gets its row")
    func loghub() throws {
        let scratch = try LookupScratch()
        try scratch.write("ips.csv", "ip,owner\n173.234.31.186,example\n112.95.230.3,other\n")
        let parse = try makeTransform("type: parse_regex\npattern: '(?<ip>\\d+\\.\\d+\\.\\d+\\.\\d+)'")
        let t = try lookup(scratch, "key: ip\non_missing: drop", table: "ips.csv")
        let lines = try loghubLines("OpenSSH_2k.log")
        let parsed = parse.process(lines.map { PipelineRecord(message: $0, timestamp: 1) }).records
        let expected = parsed.filter { [Value.string("173.234.31.186"), .string("112.95.230.3")].contains($0.fields["ip"]) }
        let out = t.process(parsed).records
        #expect(!expected.isEmpty && out.count == expected.count)
        #expect(
            out.allSatisfy { $0.fields["owner"] == ($0.fields["ip"] == .string("173.234.31.186") ? .string("example") : .string("other")) })
    }

    @Test("a tests: case of a pipeline runs the lookup against a table beside it")
    func pipelineTestCase() throws {
        let scratch = try LookupScratch()
        let path = try scratch.write("services.csv", "port,service\n22,ssh\n443,https\n")
        let text = """
            topics:
              raw: {}
            transforms:
              parsed: { type: parse_regex, inputs: [raw], pattern: 'port (?<port>\\d+)' }
              named: { type: lookup, inputs: [parsed], path: '\(path)', key: port, on_missing: drop }
            sinks:
              out: { type: stdout, inputs: [named] }
            tests:
              - name: known ports are named, unknown ones dropped
                input: { at: raw, lines: ["connect to port 22", "connect to port 8080", "port 443 open"] }
                expect:
                  from: named
                  records:
                    - { message: "connect to port 22", port: "22", service: ssh }
                    - { message: "port 443 open", port: "443", service: https }
            """
        let (definition, diagnostics) = PipelineLoader(environment: [:]).load(text: text, file: "p.yaml", defaultName: "p")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let outcomes = PipelineTestRunner.run(try #require(definition))
        #expect(outcomes.map(\.problems) == [[]])
    }
}
