/// Columns and rows for a graph drawn left to right, the same every time for the same
/// nodes and edges (given in the order the files declare them).
///
/// A node's rank is the longest path to it from a node with nothing before it. Pipelines
/// can loop (a topic sink writing a topic its own pipeline reads), so edges that close a
/// cycle are left out of the ranking first: those a depth-first walk in declaration order
/// finds going back to a node still on its path. Within a rank, nodes are ordered by the
/// mean position of what feeds them (the barycentre, one sweep left to right, which
/// removes most crossings of a pipeline's fan-out), ties by declaration order; nodes
/// marked `last` (dead-letter topics, fed from everywhere, so their mean says nothing)
/// go to the bottom of their column.
struct PipelineGraphLayout {
    var rank: [Int]
    var order: [Int]

    init(nodeCount: Int, edges: [(from: Int, to: Int)], last: Set<Int> = []) {
        var successors = [[Int]](repeating: [], count: nodeCount)
        var predecessorCount = [Int](repeating: 0, count: nodeCount)
        for (from, to) in edges {
            successors[from].append(to)
            predecessorCount[to] += 1
        }
        let forward = Self.acyclic(successors, roots: (0..<nodeCount).filter { predecessorCount[$0] == 0 })
        rank = Self.longestPaths(forward)
        order = Self.barycentreOrder(forward, rank: rank, last: last)
    }

    /// The successors without the edges that close a cycle (iterative depth-first walk:
    /// nodes nothing feeds first, then any left, each in declaration order).
    static func acyclic(_ successors: [[Int]], roots: [Int]) -> [[Int]] {
        let count = successors.count
        var state = [UInt8](repeating: 0, count: count)  // 0 unseen, 1 on the path, 2 done
        var kept = [[Int]](repeating: [], count: count)
        for start in roots + Array(0..<count) where state[start] == 0 {
            var stack: [(node: Int, next: Int)] = [(start, 0)]
            state[start] = 1
            while let top = stack.last {
                let node = top.node
                guard top.next < successors[node].count else {
                    state[node] = 2
                    stack.removeLast()
                    continue
                }
                stack[stack.count - 1].next += 1
                let successor = successors[node][top.next]
                if state[successor] == 1 { continue }  // back to the path: a cycle
                kept[node].append(successor)
                if state[successor] == 0 {
                    state[successor] = 1
                    stack.append((successor, 0))
                }
            }
        }
        return kept
    }

    /// Longest path to each node of an acyclic graph (Kahn's order).
    static func longestPaths(_ successors: [[Int]]) -> [Int] {
        var rank = [Int](repeating: 0, count: successors.count)
        var waiting = [Int](repeating: 0, count: successors.count)
        for targets in successors { for target in targets { waiting[target] += 1 } }
        var ready = (0..<successors.count).filter { waiting[$0] == 0 }
        while let node = ready.popLast() {
            for target in successors[node] {
                rank[target] = max(rank[target], rank[node] + 1)
                waiting[target] -= 1
                if waiting[target] == 0 { ready.append(target) }
            }
        }
        return rank
    }

    static func barycentreOrder(_ successors: [[Int]], rank: [Int], last: Set<Int>) -> [Int] {
        var predecessors = [[Int]](repeating: [], count: successors.count)
        for (node, targets) in successors.enumerated() { for target in targets { predecessors[target].append(node) } }
        var order = [Int](repeating: 0, count: successors.count)
        let columns = Dictionary(grouping: successors.indices, by: { rank[$0] })
        for column in columns.keys.sorted() {
            let nodes = columns[column]!
            let keys = nodes.map { node in
                let mean = Double(predecessors[node].reduce(0) { $0 + order[$1] }) / Double(max(predecessors[node].count, 1))
                return (bottom: last.contains(node) ? 1 : 0, mean: column == 0 ? 0 : mean, node: node)
            }
            let placed = keys.sorted { ($0.bottom, $0.mean, $0.node) < ($1.bottom, $1.mean, $1.node) }.map(\.node)
            for (position, node) in placed.enumerated() { order[node] = position }
        }
        return order
    }
}
