import EdgeFormat
import EdgeWatch
import Foundation

/// A clock the scripted edge source moves forward.
final class ScriptedClock: WatchClock {
    var current: UInt64 = 1_000_000_000
    func now() -> UInt64 { current }
    func wall() -> (seconds: Int64, nanoseconds: Int32) { (1_700_000_000 + Int64(current / 1_000_000_000), Int32(current % 1_000_000_000)) }
}

/// Plays a fixed list of edges and quiet periods, then says stop. `beforeEdge` runs just before
/// edge i is delivered (the sensor changes, as it would before a real trigger). The script is
/// stored up front so that playing it does not allocate.
final class ScriptedEdges: EdgeSource {
    enum Step {
        case edge(EdgeKind, atNs: UInt64)
        /// Nothing happens for the timeout the loop asks for.
        case quiet
    }

    let clock: ScriptedClock
    var steps: [Step]
    var next = 0
    var edgesDelivered = 0
    /// Every timeout the loop asked for.
    var timeouts: [UInt64] = []
    var beforeEdge: ((Int) -> Void)? = nil

    init(clock: ScriptedClock, steps: [Step]) {
        self.clock = clock
        self.steps = steps
        timeouts.reserveCapacity(4 * steps.count + 8)
    }

    func rewind() {
        next = 0
        edgesDelivered = 0
        timeouts.removeAll(keepingCapacity: true)
    }

    func wait(timeoutNs: UInt64) throws(EdgeError) -> EdgeWait {
        timeouts.append(timeoutNs)
        guard next < steps.count else { return .stop }
        let step = steps[next]
        next += 1
        switch step {
        case .quiet:
            clock.current += timeoutNs
            return .idle
        case .edge(let kind, let at):
            beforeEdge?(edgesDelivered)
            edgesDelivered += 1
            clock.current = max(clock.current, at) + 50_000
            return .edge(kind, timestampNs: at)
        }
    }
}

/// Records every level driven, with the scripted time.
final class RecordingOutput: OutputLine {
    let clock: ScriptedClock
    var levels: [(active: Bool, at: UInt64)] = []
    init(clock: ScriptedClock) {
        self.clock = clock
        levels.reserveCapacity(4096)
    }
    func set(active: Bool) throws(EdgeError) { levels.append((active, clock.current)) }
}

/// A temporary directory with the sensor file and the log.
struct Scratch {
    let dir: URL
    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("edgewatch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
    func remove() { try? FileManager.default.removeItem(at: dir) }
}

func floatBytes(_ values: [Float]) -> Data {
    var d = Data()
    for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { d.append(contentsOf: $0) } }
    return d
}

/// A little-endian .npy (version 1.0) with the given descr, shape text and raw data.
func npy(descr: String, shape: String, data: Data) -> Data {
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var out = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
    out.append(contentsOf: Array(header.utf8))
    out.append(data)
    return out
}
