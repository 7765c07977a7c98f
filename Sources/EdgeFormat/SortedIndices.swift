/// The positions `0..<count` ordered by `less`, equal elements in position order (the order a
/// stable sort gives).
///
/// Non-generic on purpose: each `sort` on a new element type adds a specialization of the
/// standard library's merge sort to the device binary, this is one heap sort for all callers.
/// O(n log n) comparisons for any input, so a hostile model.bin cannot make validation slow.
public func sortedIndices(_ count: Int, by less: (Int, Int) -> Bool) -> [Int] {
    var order = [Int](repeating: 0, count: count)
    for i in 0..<count { order[i] = i }
    // Ties broken by position make the order total, so the result is the stable one.
    func before(_ a: Int, _ b: Int) -> Bool { less(a, b) || (!less(b, a) && a < b) }
    func siftDown(_ start: Int, _ end: Int) {
        var root = start
        while 2 * root + 1 < end {
            var child = 2 * root + 1
            if child + 1 < end && before(order[child], order[child + 1]) { child += 1 }
            if !before(order[root], order[child]) { return }
            order.swapAt(root, child)
            root = child
        }
    }
    var start = count / 2
    while start > 0 {
        start -= 1
        siftDown(start, count)
    }
    var end = count
    while end > 1 {
        end -= 1
        order.swapAt(0, end)
        siftDown(0, end)
    }
    return order
}
