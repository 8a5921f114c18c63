import Foundation
import Testing
import WeirTestSupport

@testable import WeirServer

/// `MetricCatalog` is the one list of what `/metrics` exports: every metric the sources
/// make is in it (with its help text), and `docs/operations.md` documents every one.
@Suite("metric catalog")
struct MetricCatalogTests {
    /// The names of the metrics made in `Sources` (`Counter(label: "weir_…")` and the
    /// like, and the gauges `/metrics` sets at each scrape, `gauge("weir_…", …)`).
    static func madeInSources() throws -> Set<String> {
        let sources = Paths.packageRoot + "/Sources"
        let pattern = try NSRegularExpression(pattern: #"(?:label: |gauge\()"(weir_[a-z_]+)""#)
        var names = Set<String>()
        let files = FileManager.default.enumerator(atPath: sources)?.compactMap { $0 as? String } ?? []
        for file in files where file.hasSuffix(".swift") {
            let text = try String(contentsOfFile: sources + "/" + file, encoding: .utf8)
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                names.insert(String(text[Range(match.range(at: 1), in: text)!]))
            }
        }
        return names
    }

    @Test("every metric made in the sources has help text in the catalog")
    func catalogued() throws {
        let made = try Self.madeInSources()
        #expect(made.count > 20)
        #expect(made.subtracting(MetricCatalog.help.keys).sorted() == [])
    }

    @Test("docs/operations.md documents every metric of the catalog")
    func documented() throws {
        let text = try String(contentsOfFile: Paths.packageRoot + "/docs/operations.md", encoding: .utf8)
        #expect(MetricCatalog.help.keys.filter { !text.contains("`\($0)`") }.sorted() == [])
    }
}
