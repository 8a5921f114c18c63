import Testing

@testable import WeirPipeline

@Suite struct InPlaceRemovalTests {
    final class Tracked {
        let id: Int
        init(_ id: Int) { self.id = id }
    }

    struct Stop: Error {}

    @Test func keepsTheOthersInOrderAndSeesChangesMadeInPlace() {
        var items = (0..<20).map { [Tracked($0)] }
        items.removeAll(inPlace: { item in
            item.append(Tracked(-1))
            return item[0].id % 3 == 0
        })
        #expect(items.map { $0[0].id } == (0..<20).filter { $0 % 3 != 0 })
        #expect(items.allSatisfy { $0.count == 2 })
        var none: [Int] = []
        none.removeAll(inPlace: { _ in true })
        #expect(none.isEmpty)
    }

    @Test func aThrowLeavesEveryElementInTheArray() {
        var items = (0..<10).map { Tracked($0) }
        #expect(throws: Stop.self) {
            try items.removeAll(inPlace: { (item) throws(Stop) in
                if item.id == 6 { throw Stop() }
                return item.id % 2 == 0
            })
        }
        // Kept ones moved down, the rest still held (no element lost or duplicated).
        #expect(Set(items.map(\.id)) == Set(0..<10))
        #expect(items.count == 10)
        #expect(Array(items.prefix(3).map(\.id)) == [1, 3, 5])
    }
}
