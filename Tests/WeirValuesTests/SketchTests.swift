import Foundation
import Testing
import WeirTestSupport
import WeirValues

extension SeededGenerator {
    /// Uniform in [0, 1).
    fileprivate mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal (Box–Muller).
    fileprivate mutating func normal() -> Double {
        let u = 1 - unit()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * unit())
    }
}

@Suite struct WyHashTests {
    /// Values printed by the reference C implementation (wyhash final 4, `_wyp`).
    @Test func matchesTheReference() {
        let vectors: [(String, UInt64, UInt64)] = [
            ("", 0, 0x0409_638e_e2bd_e459),
            ("a", 1, 0xa841_2d09_1b5f_e0a9),
            ("abc", 2, 0x32dd_92e4_b291_5153),
            ("message digest", 3, 0x8619_1240_89a3_a16b),
            ("abcdefghijklmnopqrstuvwxyz", 4, 0x7a43_afb6_1d7f_5f40),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 5, 0xff42_329b_90e5_0d58),
            (String(repeating: "1234567890", count: 8), 6, 0xc39c_ab13_b115_aad3),
        ]
        for (text, seed, expected) in vectors {
            let hash = Array(text.utf8).withUnsafeBytes { WyHash.hash($0, seed: seed) }
            #expect(hash == expected, "\(text)")
        }
        let word: UInt64 = 0x0123_4567_89ab_cdef
        #expect(WyHash.hash(word: word, seed: 3) == 0xa13c_4260_31eb_1c62)
        #expect(withUnsafeBytes(of: word.littleEndian) { WyHash.hash($0, seed: 3) } == 0xa13c_4260_31eb_1c62)
    }

    @Test func valuesOfDifferentTypesHashApart() {
        let values: [Value] = [.string("1"), .int(1), .double(1), .bool(true), .null, .array([.int(1)])]
        #expect(Set(values.map(\.sketchHash)).count == values.count)
        #expect(Value.double(0).sketchHash == Value.double(-0.0).sketchHash)
        let text = Array("10.0.0.1".utf8)
        #expect(text.withUnsafeBytes { Value.sketchHash(text: $0) } == Value.string("10.0.0.1").sketchHash)
        let one: Fields = ["a": .int(1), "b": .string("x")]
        let other: Fields = ["b": .string("x"), "a": .int(1)]
        #expect(Value.object(one).sketchHash == Value.object(other).sketchHash)
    }
}

@Suite struct HyperLogLogTests {
    @Test func tinySetsAreCountedExactly() {
        var sketch = HyperLogLog()
        #expect(sketch.estimate == 0)
        sketch.add(.string("10.0.0.1"))
        sketch.add(.string("10.0.0.1"))
        #expect(sketch.estimate == 1)
        for octet in 2...10 { sketch.add(.string("10.0.0.\(octet)")) }
        #expect(sketch.estimate == 10)
        #expect(sketch.isSparse)
        #expect(sketch.encoded().count < 50)
    }

    @Test func typesAreDistinctAndTextBytesCountAsStrings() {
        var sketch = HyperLogLog()
        sketch.add(.string("1"))
        sketch.add(.int(1))
        sketch.add(.double(1))
        Array("1".utf8).withUnsafeBytes { sketch.add($0) }
        #expect(sketch.estimate == 3)
    }

    @Test(arguments: [1_000, 4_000, 20_000, 100_000, 1_000_000])
    func estimateIsWithinTwoPercent(distinct: Int) {
        var sketch = HyperLogLog()
        for value in 0..<distinct { sketch.add(.int(Int64(value))) }
        for value in 0..<min(distinct, 1000) { sketch.add(.int(Int64(value))) }
        let error = abs(Double(sketch.estimate) - Double(distinct)) / Double(distinct)
        #expect(error < 0.02, "estimate \(sketch.estimate) for \(distinct)")
    }

    @Test func stringsAreEstimatedAsWell() {
        var sketch = HyperLogLog()
        for value in 0..<50_000 { sketch.add(.string("user-\(value)")) }
        let error = abs(Double(sketch.estimate) - 50_000) / 50_000
        #expect(error < 0.02, "estimate \(sketch.estimate)")
    }

    @Test(arguments: [(100, 200), (100, 3_000), (3_000, 3_000), (200, 50_000), (50_000, 80_000)])
    func mergeEqualsAddingEverything(left: Int, right: Int) {
        var all = HyperLogLog()
        var first = HyperLogLog()
        var second = HyperLogLog()
        for value in 0..<left {
            first.add(.int(Int64(value)))
            all.add(.int(Int64(value)))
        }
        for value in (left / 2)..<(left / 2 + right) {
            second.add(.int(Int64(value)))
            all.add(.int(Int64(value)))
        }
        var merged = first
        merged.merge(second)
        #expect(merged == all)
        #expect(merged.estimate == all.estimate)
        var reversed = second
        reversed.merge(first)
        #expect(reversed == all)
    }

    @Test(arguments: [0, 1, 500, 4_096, 4_097, 200_000])
    func encodingRoundTrips(distinct: Int) throws {
        var sketch = HyperLogLog()
        for value in 0..<distinct { sketch.add(.string("key \(value)")) }
        let bytes = sketch.encoded()
        let decoded = try HyperLogLog(decoding: bytes[...])
        #expect(decoded == sketch)
        #expect(decoded.estimate == sketch.estimate)
        #expect(decoded.encoded() == bytes)
        #expect(try HyperLogLog(decoding: (([9, 9] + bytes)[2...])) == sketch)
        var next = decoded
        next.add(.string("one more"))
        sketch.add(.string("one more"))
        #expect(next == sketch)
    }

    @Test(arguments: [300, 4_200, 30_000])
    func stateDependsOnlyOnTheSetOfValues(distinct: Int) {
        var generator = SeededGenerator(seed: 17)
        let values = (0..<distinct).map { Value.string("v\($0)") }
        var inOrder = HyperLogLog()
        for value in values { inOrder.add(value) }
        var again = HyperLogLog()
        for value in values { again.add(value) }
        #expect(again.encoded() == inOrder.encoded())
        var shuffled = HyperLogLog()
        for value in values.shuffled(using: &generator) + values.prefix(100) { shuffled.add(value) }
        #expect(shuffled == inOrder)
        #expect(shuffled.encoded() == inOrder.encoded())
        #expect(shuffled.estimate == inOrder.estimate)
    }

    @Test func otherPrecisions() throws {
        for precision in [4, 10, 18] {
            var sketch = HyperLogLog(precision: precision)
            for value in 0..<20_000 { sketch.add(.int(Int64(value))) }
            let tolerance = 4 * 1.04 / Double(1 << precision).squareRoot()
            #expect(abs(Double(sketch.estimate) - 20_000) / 20_000 < tolerance, "precision \(precision)")
            #expect(try HyperLogLog(decoding: sketch.encoded()[...]) == sketch)
        }
    }

    @Test func garbageIsRefusedWithoutTrapping() {
        var dense = HyperLogLog()
        for value in 0..<10_000 { dense.add(.int(Int64(value))) }
        var sparse = HyperLogLog()
        for value in 0..<100 { sparse.add(.int(Int64(value))) }
        for valid in [dense.encoded(), sparse.encoded(), HyperLogLog().encoded()] {
            for length in 0..<valid.count where length < 64 || length % 97 == 0 {
                #expect(throws: SketchDecodingError.self) { try HyperLogLog(decoding: valid[..<length]) }
            }
            #expect(throws: SketchDecodingError.self) { try HyperLogLog(decoding: (valid + [0])[...]) }
        }
        #expect(throws: SketchDecodingError.self) { try HyperLogLog(decoding: [2, 14, 0, 0][...]) }
        #expect(throws: SketchDecodingError.self) { try HyperLogLog(decoding: [1, 30, 0, 0][...]) }
        #expect(throws: SketchDecodingError.self) { try HyperLogLog(decoding: [1, 14, 7, 0][...]) }
        // Two entries with the same index, and a rank of zero.
        #expect(throws: SketchDecodingError.self) { try HyperLogLog(decoding: [1, 14, 0, 2, 0x41, 1][...]) }
        #expect(throws: SketchDecodingError.self) { try HyperLogLog(decoding: [1, 14, 0, 1, 0x40][...]) }
        var generator = SeededGenerator(seed: 99)
        for _ in 0..<2_000 {
            var bytes = generator.next() % 2 == 0 ? sparse.encoded() : (0..<40).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let flips = Int(generator.next() % 4) + 1
            for _ in 0..<flips { bytes[Int(generator.next() % UInt64(bytes.count))] ^= UInt8(1 << (generator.next() % 8)) }
            if let decoded = try? HyperLogLog(decoding: bytes[...]) { _ = decoded.estimate }
        }
    }
}

@Suite struct DDSketchTests {
    static let quantiles = [0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1]

    /// The exact value the sketch's quantile approximates: rank ⌊q·(n − 1)⌋ of the sorted samples.
    static func expectWithinAccuracy(_ sketch: DDSketch, _ samples: [Double], sourceLocation: SourceLocation = #_sourceLocation) {
        let sorted = samples.sorted()
        for q in quantiles {
            let exact = sorted[Int((q * Double(sorted.count - 1)).rounded(.down))]
            guard let answer = sketch.quantile(q) else {
                Issue.record("no answer for \(q)", sourceLocation: sourceLocation)
                continue
            }
            let bound = sketch.relativeAccuracy * abs(exact) * (1 + 1e-9)
            #expect(abs(answer - exact) <= bound, "q \(q): \(answer) for \(exact)", sourceLocation: sourceLocation)
        }
    }

    static func sketch(_ samples: [Double], accuracy: Double = 0.01, buckets: Int = 2048) -> DDSketch {
        var sketch = DDSketch(relativeAccuracy: accuracy, maxBucketCount: buckets)
        for sample in samples { sketch.add(sample) }
        return sketch
    }

    static func lognormal(_ count: Int, seed: UInt64 = 5, sigma: Double = 1.5) -> [Double] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in exp(3 + sigma * generator.normal()) }
    }

    @Test func emptyHasNoQuantiles() throws {
        let sketch = DDSketch()
        #expect(sketch.count == 0)
        #expect(sketch.quantile(0.5) == nil)
        #expect(sketch.minimum == nil)
        #expect(try DDSketch(decoding: sketch.encoded()[...]) == sketch)
        #expect(Self.sketch([1, 2]).quantile(1.5) == nil)
        #expect(Self.sketch([1, 2]).quantile(-0.1) == nil)
    }

    @Test(arguments: [0.01, 0.02, 0.05])
    func uniformSamplesAreWithinTheAccuracy(accuracy: Double) {
        var generator = SeededGenerator(seed: 1)
        let samples = (0..<20_000).map { _ in 1 + 999 * generator.unit() }
        let sketch = Self.sketch(samples, accuracy: accuracy)
        #expect(sketch.count == samples.count)
        Self.expectWithinAccuracy(sketch, samples)
    }

    @Test func lognormalSamplesAreWithinTheAccuracy() {
        let samples = Self.lognormal(100_000)
        Self.expectWithinAccuracy(Self.sketch(samples), samples)
        let wide = Self.lognormal(20_000, seed: 6, sigma: 4)
        Self.expectWithinAccuracy(Self.sketch(wide), wide)
    }

    @Test func negativesAndZeroAreOrdered() {
        var generator = SeededGenerator(seed: 2)
        var samples = (0..<10_000).map { _ in 200 * generator.unit() - 100 }
        samples += Array(repeating: 0, count: 500) + [-0.0, Double.leastNormalMagnitude / 4, -Double.leastNormalMagnitude / 4]
        let sketch = Self.sketch(samples.shuffled(using: &generator))
        Self.expectWithinAccuracy(sketch, samples)
        #expect(sketch.zeroCount == 503)
        let onlyZeros = Self.sketch([0, 0, -0.0])
        #expect(onlyZeros.quantile(0.5) == 0)
        let negatives = Self.sketch([-5, -3, -1])
        #expect(negatives.quantile(0) == -5)
        #expect(negatives.quantile(1) == -1)
        #expect(abs(negatives.quantile(0.5)! + 3) <= 0.03)
    }

    @Test func nonFiniteValuesAreRefused() {
        var sketch = DDSketch()
        let added = [sketch.add(.nan), sketch.add(.infinity), sketch.add(-.infinity), sketch.add(1)]
        #expect(added == [false, false, false, true])
        #expect(sketch.count == 1)
    }

    @Test func mergeEqualsAddingEverything() {
        var generator = SeededGenerator(seed: 3)
        let samples = Self.lognormal(30_000).map { generator.next() % 5 == 0 ? -$0 : $0 } + [0, 0]
        let all = Self.sketch(samples)
        var merged = Self.sketch(Array(samples[..<12_345]))
        merged.merge(Self.sketch(Array(samples[12_345...])))
        #expect(merged == all)
        #expect(merged.encoded() == all.encoded())
        var intoEmpty = DDSketch()
        intoEmpty.merge(all)
        #expect(intoEmpty == all)
        Self.expectWithinAccuracy(merged, samples)
    }

    @Test func encodingRoundTripsAndIsDeterministic() throws {
        var generator = SeededGenerator(seed: 4)
        let samples = Self.lognormal(50_000).map { generator.next() % 3 == 0 ? -$0 : $0 } + [0]
        let sketch = Self.sketch(samples)
        let bytes = sketch.encoded()
        let decoded = try DDSketch(decoding: bytes[...])
        #expect(decoded == sketch)
        #expect(decoded.encoded() == bytes)
        for q in Self.quantiles { #expect(decoded.quantile(q) == sketch.quantile(q)) }
        #expect(Self.sketch(samples.shuffled(using: &generator)).encoded() == bytes)
        #expect(try DDSketch(decoding: ([7] + bytes)[1...]) == sketch)
    }

    @Test func bucketsAreBoundedByCollapsingTheLowest() throws {
        // Magnitudes from 1e-6 to 1e6: ~1,400 buckets at 1%, bounded here to 256.
        var generator = SeededGenerator(seed: 8)
        let samples = (0..<20_000).map { _ in pow(10, 12 * generator.unit() - 6) }
        let bounded = Self.sketch(samples, buckets: 256)
        let reordered = Self.sketch(samples.shuffled(using: &generator), buckets: 256)
        #expect(bounded == reordered)
        #expect(bounded.encoded().count < 256 * 3 + 40)
        // The high quantiles stay within the accuracy; the collapsed low ones do not.
        let sorted = samples.sorted()
        for q in [0.9, 0.99, 1] {
            let exact = sorted[Int((q * Double(sorted.count - 1)).rounded(.down))]
            #expect(abs(bounded.quantile(q)! - exact) <= 0.01 * exact * (1 + 1e-9))
        }
        #expect(bounded.quantile(0) == sorted[0])
        #expect(bounded.quantile(0.0001)! > 100 * sorted[0])
        var merged = Self.sketch(Array(samples[..<5_000]), buckets: 256)
        merged.merge(Self.sketch(Array(samples[5_000...]), buckets: 256))
        #expect(merged == bounded)
        #expect(try DDSketch(decoding: bounded.encoded()[...]) == bounded)
        // Negative values collapse their most negative buckets: the high quantiles stay.
        let negatives = Self.sketch(samples.map { -$0 }, buckets: 256)
        let negativeSorted = samples.map { -$0 }.sorted()
        for q in [0.9, 0.99, 1] {
            let exact = negativeSorted[Int((q * Double(negativeSorted.count - 1)).rounded(.down))]
            #expect(abs(negatives.quantile(q)! - exact) <= 0.01 * abs(exact) * (1 + 1e-9))
        }
    }

    @Test func garbageIsRefusedWithoutTrapping() {
        let valid = Self.sketch(Self.lognormal(1_000).map { -$0 } + Self.lognormal(1_000) + [0]).encoded()
        for length in 0..<valid.count {
            #expect(throws: SketchDecodingError.self) { try DDSketch(decoding: valid[..<length]) }
        }
        #expect(throws: SketchDecodingError.self) { try DDSketch(decoding: (valid + [0])[...]) }
        var generator = SeededGenerator(seed: 77)
        for _ in 0..<3_000 {
            var bytes = generator.next() % 2 == 0 ? valid : (0..<60).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let flips = Int(generator.next() % 4) + 1
            for _ in 0..<flips { bytes[Int(generator.next() % UInt64(bytes.count))] ^= UInt8(1 << (generator.next() % 8)) }
            if let decoded = try? DDSketch(decoding: bytes[...]) {
                _ = decoded.quantile(0.5)
                _ = decoded.encoded()
            }
        }
    }
}
