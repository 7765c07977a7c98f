import EdgeRuntime
import EdgeTestSupport
import Foundation
import XCTest

/// Which weight layouts `edgepack pack` writes: the portable canonical layouts by default,
/// layouts 2 and 3 (FORMAT.md, "Packed int8 Conv2D weights") only for an explicit AVX2 target,
/// layout 4 only for a NEON board without the dot product, layout 5 only for a dot-product board.
extension EdgePackCLITests {
    @discardableResult
    func packInt8CNN(to output: String, _ extra: [String]) throws -> Run {
        let r = try run(["pack", cnn, "-o", output, "--quantize", "int8", "--calibration", calibration] + extra)
        XCTAssertEqual(r.status, 0, "\(extra): \(r.stderr)")
        return r
    }

    func testDefaultPackWritesCanonicalLayoutsAndBoardHostPacksForThisCPU() throws {
        let plain = temporary("plain.bin"), host = temporary("host.bin")
        defer { for f in [plain, host] { try? FileManager.default.removeItem(atPath: f) } }
        try packInt8CNN(to: plain, ["-q"])
        let hostRun = try packInt8CNN(to: host, ["--board", "host"])
        XCTAssertFalse(hostRun.stdout.contains("fits"), "--board host checks no budgets:\n\(hostRun.stdout)")

        // No --board: no packed layout anywhere.
        let plainInfo = try run(["inspect", plain])
        XCTAssertEqual(plainInfo.status, 0, plainInfo.stderr)
        XCTAssertFalse(plainInfo.stdout.contains("weight layouts"), plainInfo.stdout)
        XCTAssertFalse(plainInfo.stdout.contains("pconv2d"), plainInfo.stdout)

        let hostInfo = try run(["inspect", host])
        XCTAssertEqual(hostInfo.status, 0, hostInfo.stderr)
        let plainBytes = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: plain)[.size] as? Int)
        let hostBytes = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: host)[.size] as? Int)
        if KernelTable.forThisMachine().qs8PackedConv2D.name.description.hasSuffix("__avx2") {
            // The two Conv2D layers past the stem packed: the 1x1 8->16 in layout 3 (4x16c4 tile), the 3x3
            // 16->16 in layout 2 (4x16c2 tile); the 1->8 stem stays canonical for the few-input-channel tile,
            // faster there. Two bytes per weight make the file larger.
            XCTAssertTrue(hostInfo.stdout.contains("weight layouts: packed for host (avx2)"), hostInfo.stdout)
            XCTAssertEqual(hostInfo.stdout.components(separatedBy: "ek_qs8_pconv2d_minmax_4x16c2__avx2").count - 1, 1, hostInfo.stdout)
            XCTAssertEqual(hostInfo.stdout.components(separatedBy: "ek_qs8_pconv2d_minmax_4x16c4__avx2").count - 1, 1, hostInfo.stdout)
            XCTAssertEqual(hostInfo.stdout.components(separatedBy: "ek_qs8_conv2d_minmax_8x8c2__avx2").count - 1, 1, hostInfo.stdout)
            XCTAssertGreaterThan(hostBytes, plainBytes)
        } else {
            XCTAssertEqual(hostBytes, plainBytes, "a host without AVX2 keeps the canonical layouts")
            XCTAssertFalse(hostInfo.stdout.contains("pconv2d"), hostInfo.stdout)
        }
    }

    func testBoardHostTakesNoBudgetOptionsAndCheckRefusesIt() throws {
        let output = temporary("never.bin")
        let pack = try run(["pack", cnn, "-o", output, "--board", "host", "--max-latency-ms", "5"])
        XCTAssertEqual(pack.status, 2, pack.stdout)
        XCTAssertTrue(pack.stderr.contains("--max-latency-ms needs a board profile"), pack.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))

        let check = try run(["check", cnn, "--board", "host"])
        XCTAssertEqual(check.status, 2, check.stdout)
        XCTAssertTrue(check.stderr.hasPrefix("edgepack: error: --board host names the CPU running edgepack"), check.stderr)
        XCTAssertTrue(check.stderr.contains("e.g. --board rpi4"), check.stderr)
    }

    /// rpi4 (NEON without dotprod): every int8 Conv2D of the CNN in layout 4, the stem included
    /// (each has at least 8 output pixels); on this machine they run the layout's __ref twin.
    func testNEONBoardWithoutDotProductPacksLayout4() throws {
        let plain = temporary("plain4.bin"), neon = temporary("neon.bin")
        defer { for f in [plain, neon] { try? FileManager.default.removeItem(atPath: f) } }
        try packInt8CNN(to: plain, ["-q"])
        try packInt8CNN(to: neon, ["-q", "--board", "rpi4", "--boards-dir", boardsDir])
        let info = try run(["inspect", neon])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("weight layouts: packed for board rpi4"), info.stdout)
        XCTAssertEqual(info.stdout.components(separatedBy: "ek_qs8_pconv2d_minmax_8x8__ref").count - 1, 3, info.stdout)
        let plainBytes = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: plain)[.size] as? Int)
        let neonBytes = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: neon)[.size] as? Int)
        XCTAssertGreaterThan(neonBytes, plainBytes, "int16 weights")
    }

    /// rpi5 (dotprod without i8mm): every int8 Conv2D of the CNN in layout 5, the stem included;
    /// on this machine they run the layout's __ref twin. One byte per weight: the file grows by
    /// the K and channel padding only.
    func testDotProductBoardPacksLayout5() throws {
        let plain = temporary("plain5.bin"), dot = temporary("dot5.bin")
        defer { for f in [plain, dot] { try? FileManager.default.removeItem(atPath: f) } }
        try packInt8CNN(to: plain, ["-q"])
        try packInt8CNN(to: dot, ["-q", "--board", "rpi5", "--boards-dir", boardsDir])
        let info = try run(["inspect", dot])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("weight layouts: packed for board rpi5"), info.stdout)
        XCTAssertEqual(info.stdout.components(separatedBy: "ek_qs8_pconv2d_minmax_8x8c4__ref").count - 1, 3, info.stdout)
        let plainBytes = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: plain)[.size] as? Int)
        let dotBytes = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: dot)[.size] as? Int)
        XCTAssertLessThan(dotBytes, plainBytes + 2048, "int8 weights, padded K and channels only")
    }
}
