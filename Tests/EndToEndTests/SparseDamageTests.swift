import EdgeFormat
import EdgeTestSupport
import Foundation
import XCTest

/// Damaged block-sparse and packed weights, end to end (FuzzSeeds.sparseAndPacked: block-sparse
/// FullyConnected 1x4, 1x16 and grouped 8x2, block-sparse 1x1 Conv2D, packed Conv2D layouts 2
/// and 3). Damage, CRCs recomputed: the weights' layout byte set to each of 0...4; for layout 1
/// each header field, row pointer and (the first 8) block columns set to edge values; for
/// layouts 2 and 3, 24 bytes of the weights set to random values (fixed seed). Each file must
/// either fail to load, or load with an encoding that satisfies the FORMAT.md rules (checked
/// here independently of the loader); and `edgerun` with EDGE_KERNELS=ref and auto must exit
/// by itself within the timeout, 0 or with an error naming model.bin (no signal, no hang).
final class SparseDamageTests: XCTestCase {
    static let timeout: TimeInterval = 20
    static let seed: UInt64 = 20261207

    func testDamagedSparseAndPackedWeightsAreRejectedOrRunSafely() throws {
        let edgerun = try Tools.debugProduct("edgerun")
        signal(SIGPIPE, SIG_IGN)
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var random = SeededRandom(seed: Self.seed)
        var cases = 0, rejected = 0, failures: [String] = []
        for seed in FuzzSeeds.sparseAndPacked {
            let bytes = ModelWriter.serialize(seed.model)
            let (record, data, layout, size) = try locateWeights(bytes)
            for kernels in ["ref", "auto"] {
                let clean = try run(edgerun, bytes, seed, kernels, dir)
                XCTAssertEqual(clean.status, 0, "seed \(seed.name) does not run (\(kernels)): \(clean.stderr)")
            }
            var damages: [(String, Int, [UInt8])] = (0...4).filter { $0 != Int(layout) }.map { ("layout byte = \($0)", record + 4, [UInt8($0)]) }
            if layout == SparseWeights.layout {
                let header = (0..<5).map { Int(Resealer.le32(bytes, data + 4 * $0)) }
                let blockRows = (header[2] + header[0] - 1) / header[0]
                for (i, v) in header.enumerated() {
                    for value in [0, v + 1, v - 1, 0xFFFF_FFFF] where value >= 0 && value != v {
                        damages.append(("header word \(i) = \(value)", data + 4 * i, le32(value)))
                    }
                }
                for r in 0...blockRows {
                    let at = data + 32 + 4 * r, v = Int(Resealer.le32(bytes, at))
                    for value in [v + 1, 0xFFFF_FFFF] { damages.append(("row pointer \(r) = \(value)", at, le32(value))) }
                }
                for b in 0..<min(8, header[4]) {
                    let at = data + 32 + 4 * (blockRows + 1) + 2 * b, v = Int(bytes[at]) | Int(bytes[at + 1]) << 8
                    for value in [v + 1, 0xFFFF] { damages.append(("block column \(b) = \(value)", at, [UInt8(value & 0xFF), UInt8(value >> 8)])) }
                }
            } else {
                for _ in 0..<24 {
                    let at = data + random.int(0...(size - 1)), value = UInt8(truncatingIfNeeded: random.next())
                    damages.append(("weight byte +\(at - data) = \(value)", at, [value]))
                }
            }
            for (what, at, patch) in damages {
                let damaged = Resealer.patch(bytes, fileOffset: at, with: patch)
                cases += 1
                let loaded = loads(damaged)
                if loaded == nil { rejected += 1 }
                if let problem = loaded.flatMap({ encodingProblem($0) }) {
                    failures.append("\(seed.name) \(what): loads, but \(problem)")
                }
                if (layout == 2 && patch == [3]) || (layout == 3 && patch == [2]) || (layout != 1 && patch == [1] && at == record + 4) {
                    if loaded != nil { failures.append("\(seed.name) \(what): the other layout's bytes load") }
                }
                for kernels in ["ref", "auto"] {
                    let r = try run(edgerun, damaged, seed, kernels, dir)
                    if let problem = r.problem { failures.append("\(seed.name) \(what) EDGE_KERNELS=\(kernels): \(problem)") }
                }
            }
        }
        print("SparseDamageTests: \(cases) damaged files (\(rejected) rejected at load), \(2 * cases) edgerun runs, \(failures.count) failures")
        XCTAssertGreaterThanOrEqual(cases, 300)
        XCTAssertGreaterThan(rejected, cases / 2)
        XCTAssertEqual(failures, [], failures.prefix(20).joined(separator: "\n"))
    }

    func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: UInt32(truncatingIfNeeded: v) >> (8 * UInt32($0))) } }

    /// File offsets of tensor 1's record and data, its layout and byte size.
    func locateWeights(_ bytes: [UInt8]) throws -> (record: Int, data: Int, layout: UInt8, size: Int) {
        var sections: [UInt32: Int] = [:]
        for i in 0..<Int(Resealer.le32(bytes, 20)) {
            sections[Resealer.le32(bytes, 64 + 32 * i)] = Int(Resealer.le64(bytes, 64 + 32 * i + 8))
        }
        let tensors = try XCTUnwrap(sections[SectionKind.tensors.rawValue]), constants = try XCTUnwrap(sections[SectionKind.constants.rawValue])
        let record = tensors + 16 + Int(Resealer.le32(bytes, tensors + 4))
        return (record, constants + Int(Resealer.le64(bytes, record + 40)), bytes[record + 4], Int(Resealer.le64(bytes, record + 48)))
    }

    /// Tensor 1's layout, shape and bytes when `bytes` loads; nil when the loader rejects it.
    func loads(_ bytes: [UInt8]) -> (layout: UInt8, shape: [Int], data: [UInt8])? {
        bytes.withUnsafeBytes { raw in
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: raw.count, alignment: 64)
            defer { buffer.deallocate() }
            buffer.copyMemory(from: raw.baseAddress!, byteCount: raw.count)
            guard let file = try? ModelFile(validating: UnsafeRawBufferPointer(start: buffer, count: raw.count)) else { return nil }
            let t = file.tensor(1)
            return (t.layout, t.shape.dims, Array(UnsafeRawBufferPointer(start: file.constantData(t), count: t.byteSize)))
        }
    }

    /// FORMAT.md's rules for the loaded weights, checked without the loader's code; nil when they hold.
    func encodingProblem(_ w: (layout: UInt8, shape: [Int], data: [UInt8])) -> String? {
        let d = w.data
        func u32(_ at: Int) -> Int { Int(Resealer.le32(d, at)) }
        switch w.layout {
        case 1:
            let h = u32(0), bw = u32(4), rows = u32(8), columns = u32(12), blocks = u32(16)
            guard [[1, 4], [1, 16], [8, 2]].contains([h, bw]) else { return "block shape \(h)x\(bw)" }
            guard rows == w.shape[0], columns == w.shape.last!, columns % bw == 0 else { return "header \(rows)x\(columns) for \(w.shape)" }
            let blockRows = (rows + h - 1) / h, colsAt = 32 + 4 * (blockRows + 1)
            let values = (colsAt + 2 * blocks + 15) / 16 * 16
            guard d.count == values + blocks * h * bw else { return "byte size \(d.count) for \(blocks) blocks" }
            guard u32(32) == 0, u32(32 + 4 * blockRows) == blocks else { return "row pointers do not span 0..<\(blocks)" }
            for r in 0..<blockRows {
                let begin = u32(32 + 4 * r), end = u32(36 + 4 * r)
                guard begin <= end else { return "row \(r) spans \(begin)..<\(end)" }
                var previous = -1
                for b in begin..<end {
                    let c = Int(d[colsAt + 2 * b]) | Int(d[colsAt + 2 * b + 1]) << 8
                    guard c > previous, c < columns / bw else { return "block \(b) has column \(c)" }
                    previous = c
                }
            }
        case 2, 3:
            guard w.shape.count == 4 else { return "packed weights of shape \(w.shape)" }
            let k = w.shape[1] * w.shape[2] * w.shape[3]
            let size = w.layout == 2 ? PackedWeights.byteSize(outChannels: w.shape[0], k: k) : PackedWeights.c4ByteSize(outChannels: w.shape[0], k: k)
            guard d.count == size else { return "packed byte size \(d.count), expected \(size)" }
        default: break
        }
        return nil
    }

    struct Outcome {
        var status: Int32
        var stderr: String
        var problem: String?
    }

    /// One inference with EDGE_KERNELS=`kernels`, the seed's input on standard input.
    func run(_ edgerun: URL, _ bytes: [UInt8], _ seed: FuzzSeeds.Seed, _ kernels: String, _ dir: URL) throws -> Outcome {
        let path = dir.appendingPathComponent("\(seed.name).bin").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let environment = ProcessInfo.processInfo.environment.merging(["EDGE_KERNELS": kernels]) { $1 }
        let r = try BoundedRun(edgerun, [path, "--input", "-"], environment: environment, stdin: Data(seed.input),
                               timeout: Self.timeout)
        if r.timedOut {
            return Outcome(status: -1, stderr: "", problem: "no exit within \(Int(Self.timeout)) s")
        }
        var problem: String?
        if r.signalled {
            problem = "signal \(r.status): \(r.stderr.suffix(300))"
        } else if r.status != 0 && !r.stderr.contains("model.bin") {
            problem = "exit \(r.status) without an error naming model.bin: \(r.stderr.suffix(300))"
        }
        return Outcome(status: r.status, stderr: r.stderr, problem: problem)
    }
}
