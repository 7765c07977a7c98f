import EdgeFormat
import EdgeTestSupport
import XCTest

/// float16 / float8e4m3fn / float8e5m2 conversions against values from the ONNX float8
/// specification (onnx/docs/docs/technical/float8.md) and, for float16, Swift's Float16.
final class NarrowFloatTests: XCTestCase {
    func e4m3(_ x: Float, saturate: Bool = true) -> UInt16 { NarrowFloat.encode(x, .float8E4M3FN, saturate: saturate) }
    func e5m2(_ x: Float, saturate: Bool = true) -> UInt16 { NarrowFloat.encode(x, .float8E5M2, saturate: saturate) }

    func testE4M3FNLimitsSaturationAndNaN() {
        XCTAssertEqual(NarrowFloat.decode(0x7E, .float8E4M3FN), 448)
        XCTAssertEqual(NarrowFloat.decode(0xFE, .float8E4M3FN), -448)
        XCTAssertTrue(NarrowFloat.decode(0x7F, .float8E4M3FN).isNaN)
        XCTAssertTrue(NarrowFloat.decode(0xFF, .float8E4M3FN).isNaN)
        XCTAssertEqual(NarrowFloat.decode(0x78, .float8E4M3FN), 256)  // no infinities: exponent 15 is a normal binade
        XCTAssertEqual(NarrowFloat.decode(0x01, .float8E4M3FN), Float(sign: .plus, exponent: -9, significand: 1))
        XCTAssertEqual(e4m3(448), 0x7E)
        XCTAssertEqual(e4m3(464), 0x7E)         // the tie between 448 and (nonexistent) 480 goes to even 448
        XCTAssertEqual(e4m3(470), 0x7E)         // rounds to 480: saturates
        XCTAssertEqual(e4m3(470, saturate: false), 0x7F)
        XCTAssertEqual(e4m3(480, saturate: false), 0x7F)
        XCTAssertEqual(e4m3(463.9, saturate: false), 0x7E)  // rounds down to 448: no overflow
        XCTAssertEqual(e4m3(-1e9), 0xFE)
        XCTAssertEqual(e4m3(-1e9, saturate: false), 0xFF)
        XCTAssertEqual(e4m3(.infinity), 0x7E)
        XCTAssertEqual(e4m3(-.infinity, saturate: false), 0xFF)
        XCTAssertEqual(e4m3(.nan), 0x7F)
        XCTAssertEqual(e4m3(-.nan), 0xFF)
        XCTAssertEqual(e4m3(-0.0), 0x80)
    }

    func testE4M3FNRoundsToNearestEven() {
        XCTAssertEqual(e4m3(1), 0x38)
        XCTAssertEqual(e4m3(1.0625), 0x38)      // halfway 1 / 1.125: even mantissa 000
        XCTAssertEqual(e4m3(1.1875), 0x3A)      // halfway 1.125 / 1.25: even mantissa 010
        XCTAssertEqual(e4m3(1.07), 0x39)        // above halfway
        XCTAssertEqual(e4m3(100), 0x6C)         // the ONNX test case 200 / 2: halfway 96 / 104, even 96
        XCTAssertEqual(NarrowFloat.decode(0x6C, .float8E4M3FN), 96)
        let tiny = Float(sign: .plus, exponent: -10, significand: 1)  // half the smallest subnormal
        XCTAssertEqual(e4m3(tiny), 0x00)        // tie to even 0
        XCTAssertEqual(e4m3(3 * tiny), 0x02)    // tie between subnormals 1 and 2: even 2
        XCTAssertEqual(e4m3(-3 * tiny), 0x82)
        XCTAssertEqual(e4m3(0.0156250), 0x08)   // 2^-6: the smallest normal
    }

    func testE5M2LimitsAndInfinities() {
        XCTAssertEqual(NarrowFloat.decode(0x7B, .float8E5M2), 57344)
        XCTAssertEqual(NarrowFloat.decode(0x7C, .float8E5M2), .infinity)
        XCTAssertEqual(NarrowFloat.decode(0xFC, .float8E5M2), -.infinity)
        XCTAssertTrue(NarrowFloat.decode(0x7D, .float8E5M2).isNaN)
        XCTAssertEqual(e5m2(57344), 0x7B)
        XCTAssertEqual(e5m2(1e5), 0x7B)
        XCTAssertEqual(e5m2(1e5, saturate: false), 0x7C)
        XCTAssertEqual(e5m2(-.infinity), 0xFB)
        XCTAssertEqual(e5m2(-.infinity, saturate: false), 0xFC)
        XCTAssertEqual(e5m2(61440, saturate: false), 0x7C)  // the tie 57344 / 65536 goes to even: overflow
        XCTAssertEqual(e5m2(.nan), 0x7F)
        XCTAssertEqual(e5m2(1.125), 0x3C)       // halfway 1 / 1.25: even 1
        XCTAssertEqual(e5m2(1.375), 0x3E)       // halfway 1.25 / 1.5: even 1.5
    }

    /// Every float8 value converts back to its own bits.
    func testEveryFloat8ValueRoundTrips() {
        for dtype in [DType.float8E4M3FN, .float8E5M2] {
            for bits in UInt16(0)...255 {
                let v = NarrowFloat.decode(bits, dtype)
                if v.isNaN { continue }
                XCTAssertEqual(NarrowFloat.encode(v, dtype, saturate: false), bits, "\(dtype.name) 0x\(String(bits, radix: 16)) = \(v)")
            }
        }
    }

    #if !(os(macOS) && arch(x86_64))
    /// float16 against the platform's IEEE binary16: every bit pattern decodes alike, and
    /// random float32 values (seed printed) round alike.
    func testFloat16MatchesTheStandardLibrary() {
        for bits in UInt16.min...UInt16.max {
            let want = Float(Float16(bitPattern: bits)), got = NarrowFloat.decode(bits, .float16)
            XCTAssertTrue(got == want || (got.isNaN && want.isNaN), "0x\(String(bits, radix: 16)): \(got) vs \(want)")
            if !want.isNaN { XCTAssertEqual(NarrowFloat.encode(want, .float16, saturate: true), bits) }
        }
        let seed: UInt64 = 0xF16
        var rng = SeededRandom(seed: seed)
        for _ in 0..<200_000 {
            let x = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            if x.isNaN { continue }
            let want = Float16(x).bitPattern
            XCTAssertEqual(NarrowFloat.encode(x, .float16, saturate: true), want, "x = \(x) (seed \(seed))")
        }
        XCTAssertEqual(NarrowFloat.encode(65520, .float16, saturate: true), 0x7C00)  // the tie above 65504 overflows
    }
    #endif
}
