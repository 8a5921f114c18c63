extension Array {
    /// Removes the elements `remove` picks, the others keeping their order. Each element
    /// `remove` sees may be changed in place; a kept one is moved down over the removed
    /// ones by swapping bits, never copied, so a batch of records is filtered without a
    /// retain or release per record (`removeAll(where:)` and `swapAt` copy each one they
    /// move). The removed elements are destroyed once, at the end.
    mutating func removeAll<E: Error>(inPlace remove: (inout Element) throws(E) -> Bool) throws(E) {
        var kept = 0
        let count = self.count
        do {
            try withUnsafeMutableBufferPointer { (buffer) throws(E) in
                guard let base = buffer.baseAddress else { return }
                for i in 0..<count {
                    if try remove(&base[i]) { continue }
                    if kept != i {
                        // Every slot stays initialized: a throw leaves a valid array.
                        let moved = (base + kept).move()
                        (base + kept).moveInitialize(from: base + i, count: 1)
                        (base + i).initialize(to: moved)
                    }
                    kept += 1
                }
            }
        } catch {
            throw error
        }
        removeSubrange(kept...)
    }
}
