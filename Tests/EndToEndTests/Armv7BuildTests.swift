import EdgeTestSupport
import Foundation
import XCTest

/// The static 32-bit armv7 edgerun (`make cross-armv7`: armv7-A + NEON, hard float, glibc; for
/// Raspberry Pi OS 32-bit), run under qemu-arm and compared with the host build. The NEON
/// kernels are AArch64 code, so this build runs the reference kernels only.
final class Armv7BuildTests: XCTestCase {
    /// Cortex-A7 (Pi 2 v1.1 class) and Cortex-A15: the Armv7-A cores qemu-arm emulates with NEON.
    static let qemuCPUs = ["cortex-a7", "cortex-a15"]

    func testArmv7EdgerunIsStatic32BitArmELF() throws {
        let binary = try Data(contentsOf: Tools.armv7Edgerun())
        XCTAssertEqual(Array(binary.prefix(4)), [0x7F, 0x45, 0x4C, 0x46], "not an ELF file")
        XCTAssertEqual(binary[4], 1, "not a 32-bit ELF")
        let machine = binary.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 18, as: UInt16.self) }
        XCTAssertEqual(machine, 40, "e_machine is not EM_ARM")
        let flags = binary.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 36, as: UInt32.self) }
        XCTAssertNotEqual(flags & 0x400, 0, "e_flags lacks EF_ARM_ABI_FLOAT_HARD: not the gnueabihf calling convention")
        let phoff = Int(binary.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 28, as: UInt32.self) })
        let phentsize = Int(binary.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 42, as: UInt16.self) })
        let phnum = Int(binary.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 44, as: UInt16.self) })
        for i in 0..<phnum {
            let type = binary.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: phoff + i * phentsize, as: UInt32.self) }
            XCTAssertNotEqual(type, 3, "program header \(i) is PT_INTERP: the binary needs a dynamic loader")
            XCTAssertNotEqual(type, 2, "program header \(i) is PT_DYNAMIC: the binary links shared libraries")
        }
    }

    /// Every firmware model, float32 and int8, gives the host's reference-kernel output byte for
    /// byte; `edgerun info` names the ref kernels as the only level.
    func testArmv7AndHostEdgerunAgreeByteForByte() throws {
        let edgerun = try Tools.armv7Edgerun().path
        let qemu = try Tools.qemuArm()
        let host = try Tools.debugProduct("edgerun")
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases = try Tools.packFirmwareModels(into: dir)
        XCTAssertFalse(cases.isEmpty, "no firmware models packed")
        let environment = ["EDGE_KERNELS": "ref"]
        for (index, c) in cases.enumerated() {
            let expected = dir.appendingPathComponent("\(index)-host.npy")
            let r = try Tools.run(host, [c.bin, "--input", c.input, "--output", expected.path], environment: environment)
            XCTAssertEqual(r.status, 0, "host edgerun on \(c.bin): \(r.stderr)")
            let want = try Data(contentsOf: expected)
            for cpu in Self.qemuCPUs {
                let out = dir.appendingPathComponent("\(index)-\(cpu).npy")
                let q = try Tools.run(qemu, ["-cpu", cpu, edgerun, c.bin, "--input", c.input, "--output", out.path])
                XCTAssertEqual(q.status, 0, "qemu-arm -cpu \(cpu) edgerun on \(c.bin): \(q.stderr)")
                XCTAssertEqual(try? Data(contentsOf: out), want,
                               "\((c.bin as NSString).lastPathComponent) on \((c.input as NSString).lastPathComponent): armv7 (\(cpu)) and host outputs differ")
            }
        }
        let info = try Tools.run(qemu, ["-cpu", "cortex-a7", edgerun, "info", cases[0].bin])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("kernels: ref"), info.stdout)
        let forced = try Tools.run(qemu, ["-cpu", "cortex-a7", edgerun, "info", cases[0].bin], environment: ["EDGE_KERNELS": "neon"])
        XCTAssertNotEqual(forced.status, 0, "EDGE_KERNELS=neon must be a usage error on armv7: \(forced.stdout)")
    }
}
