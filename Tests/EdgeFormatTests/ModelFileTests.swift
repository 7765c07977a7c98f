import EdgeFormat
import EdgeTestSupport
import Foundation
import XCTest

final class ModelFileTests: XCTestCase {
    /// Runs `body` on a 64-byte aligned copy of `bytes`, as a mapping would be.
    func withFile<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 64)
        defer { buffer.deallocate() }
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        return try body(UnsafeRawBufferPointer(start: buffer, count: bytes.count))
    }

    func testRoundTripPreservesEverything() throws {
        let description = SampleModel.description()
        let bytes = ModelWriter.serialize(description)
        try withFile(bytes) { raw in
            let file = try ModelFile(validating: raw)
            XCTAssertEqual(file.majorVersion, 1)
            XCTAssertEqual(file.minorVersion, 0)
            XCTAssertEqual(file.modelName, "sample")
            XCTAssertEqual(file.producer, "EdgeFormatTests")
            XCTAssertEqual(file.tensorCount, description.tensors.count)
            XCTAssertEqual(file.opCount, description.ops.count)
            XCTAssertEqual(file.arenaBytes, description.arenaBytes)
            XCTAssertEqual((0..<file.labelCount).map(file.label), ["cat", "dog", "bird"])
            XCTAssertEqual(file.keyValue(0).key, "source")
            XCTAssertEqual(file.keyValue(0).value, "SampleModel.swift")
            XCTAssertEqual(file.inputTensor(0), 0)
            XCTAssertEqual(file.outputTensor(0), 9)
            for (i, t) in description.tensors.enumerated() {
                let r = file.tensor(i)
                XCTAssertEqual(file.string(r.name), t.name)
                XCTAssertEqual(r.shape.dims, t.shape)
                XCTAssertEqual(r.dtype, t.dtype)
                XCTAssertEqual(r.byteSize, t.byteSize)
                if let data = t.constantData {
                    XCTAssertEqual(r.storage, .constant)
                    let pointer = file.constantData(r)
                    XCTAssertEqual(Int(bitPattern: pointer) % 64, 0, "constant \(t.name) is not 64-byte aligned")
                    XCTAssertEqual(Array(UnsafeRawBufferPointer(start: pointer, count: r.byteSize)), data)
                } else {
                    XCTAssertEqual(r.storage, .arena)
                    XCTAssertEqual(r.dataOffset, t.arenaOffset)
                }
            }
            for (i, op) in description.ops.enumerated() {
                let r = file.op(i)
                XCTAssertEqual(r.kind, op.kind)
                XCTAssertEqual(file.string(r.name), op.name)
                XCTAssertEqual((0..<r.inputCount).map { file.input(r, $0) }, op.inputs)
                XCTAssertEqual((0..<r.outputCount).map { file.output(r, $0) }, op.outputs)
            }
            XCTAssertEqual(file.planEntryCount, description.lifetimes.count)
        }
    }

    /// The exact bytes of the sample model are part of the format: a change here is a format
    /// change and must bump the version (FORMAT.md, Compatibility).
    func testGoldenBytes() throws {
        let bytes = SampleModel.bytes
        let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Goldens/sample.bin")
        if ProcessInfo.processInfo.environment["EDGE_UPDATE_GOLDENS"] == "1" {
            try Data(bytes).write(to: golden)
        }
        let expected = try [UInt8](Data(contentsOf: golden))
        XCTAssertEqual(bytes.count, expected.count)
        XCTAssertTrue(bytes == expected, "serialized sample model differs from Goldens/sample.bin")
        XCTAssertEqual(Array(bytes[0..<8]), [0x89, 0x45, 0x52, 0x4D, 0x0D, 0x0A, 0x1A, 0x0A])
        XCTAssertEqual(Array(bytes[8..<12]), [0x04, 0x03, 0x02, 0x01])
        XCTAssertEqual(Array(bytes[12..<16]), [1, 0, 0, 0])
    }

    func testEveryTruncationIsRejected() throws {
        let bytes = SampleModel.bytes
        for length in 0..<bytes.count {
            let prefix = Array(bytes[0..<length])
            try prefix.withUnsafeBytes { raw in
                XCTAssertThrowsError(try ModelFile(validating: raw), "truncation to \(length) bytes was accepted")
            }
        }
    }

    func testRandomBitFlipsAreRejected() {
        let bytes = SampleModel.bytes
        var rng = SeededRandom(seed: 0x5EED_F11B)
        var accepted: [Int] = []
        for _ in 0..<10_000 {
            let bit = Int(rng.next() % UInt64(bytes.count * 8))
            var corrupt = bytes
            corrupt[bit / 8] ^= UInt8(1 << (bit % 8))
            corrupt.withUnsafeBytes { raw in
                if (try? ModelFile(validating: raw)) != nil { accepted.append(bit) }
            }
        }
        XCTAssertEqual(accepted, [], "bit flips accepted (seed 0x5EEDF11B): \(accepted.prefix(10))")
    }

    func testErrorsNameSectionValueAndFix() throws {
        var bytes = SampleModel.bytes
        bytes[12] = 9  // major version
        try bytes.withUnsafeBytes { raw in
            XCTAssertThrowsError(try ModelFile(validating: raw)) { error in
                let e = error as! EdgeError
                XCTAssertEqual(e.kind, .version)
                XCTAssertTrue(e.message.contains("format version 9.0"), e.message)
                XCTAssertTrue(e.message.contains("re-pack"), e.message)
            }
        }
        let tail = Array(SampleModel.bytes.dropLast(7))
        try tail.withUnsafeBytes { raw in
            XCTAssertThrowsError(try ModelFile(validating: raw)) { error in
                let e = error as! EdgeError
                XCTAssertEqual(e.kind, .format)
                XCTAssertTrue(e.message.contains("file size field says"), e.message)
            }
        }
    }

    func testOverlappingPlanIsRejected() throws {
        var d = SampleModel.description()
        d.tensors[4].arenaOffset = 192  // pool output on top of the live conv output
        let bytes = ModelWriter.serialize(d)
        try bytes.withUnsafeBytes { raw in
            XCTAssertThrowsError(try ModelFile(validating: raw)) { error in
                XCTAssertTrue((error as! EdgeError).message.contains("alive at the same time"), (error as! EdgeError).message)
            }
        }
    }

    func testUnknownOpKindNamesTheValue() throws {
        var bytes = SampleModel.bytes
        // Find op 0's kind through the reader, then patch it and re-seal the CRCs.
        bytes = Resealer.patchOpKind(bytes, op: 0, kind: 77)
        try bytes.withUnsafeBytes { raw in
            XCTAssertThrowsError(try ModelFile(validating: raw)) { error in
                let e = error as! EdgeError
                XCTAssertEqual(e.kind, .unsupported)
                XCTAssertTrue(e.message.contains("op kind 77"), e.message)
            }
        }
    }

    func testUnknownDTypeNamesTheValue() throws {
        let bytes = Resealer.patch(SampleModel.bytes, .tensors, record: 0, with: [14])
        try withFile(bytes) { raw in
            XCTAssertThrowsError(try ModelFile(validating: raw)) { error in
                let e = error as! EdgeError
                XCTAssertEqual(e.kind, .unsupported)
                XCTAssertTrue(e.message.contains("dtype 14 is not known to this edgerun (1...13)"), e.message)
            }
        }
    }

    /// Tensors of the new dtypes load with their element sizes; an empty tensor (a dimension
    /// of 0) holds no bytes and overlaps nothing in the plan.
    func testNarrowDTypesAndEmptyTensorsLoad() throws {
        var d = SampleModel.description()
        d.tensors.append(.init(name: "half", dtype: .float16, shape: [3], constantData: [0, 0x3C, 0, 0x40, 0, 0xC0]))
        d.tensors.append(.init(name: "e4m3", dtype: .float8E4M3FN, shape: [2], constantData: [0x7E, 0x38]))
        d.tensors.append(.init(name: "e5m2", dtype: .float8E5M2, shape: [1], constantData: [0x7B]))
        d.tensors.append(.init(name: "nibbles", dtype: .int4, shape: [2], constantData: [0xF8, 0x07]))
        d.tensors.append(.init(name: "unsigned nibbles", dtype: .uint4, shape: [1], constantData: [15]))
        d.tensors.append(.init(name: "nothing", dtype: .float32, shape: [2, 0], constantData: []))
        try withFile(ModelWriter.serialize(d)) { raw in
            let file = try ModelFile(validating: raw)
            XCTAssertEqual((10..<16).map { file.tensor($0).dtype }, [.float16, .float8E4M3FN, .float8E5M2, .int4, .uint4, .float32])
            XCTAssertEqual((10..<16).map { file.tensor($0).byteSize }, [6, 2, 1, 2, 1, 0])
            XCTAssertEqual(file.tensor(15).shape.dims, [2, 0])
        }
    }

    /// A tensor's u64 data offset or byte size above what an Int holds is a format error
    /// naming the tensor and the value, not a trap.
    func testHugeDataOffsetAndByteSizeAreRejected() throws {
        for (at, field) in [(40, "data offset"), (48, "byte size")] {
            var record = Resealer.record(SampleModel.bytes, .tensors, index: 0, count: 56)
            record[at + 7] = 0x80
            try withFile(Resealer.patch(SampleModel.bytes, .tensors, record: 0, with: record)) { raw in
                XCTAssertThrowsError(try ModelFile(validating: raw)) { error in
                    let e = error as! EdgeError
                    XCTAssertEqual(e.kind, .format)
                    XCTAssertTrue(e.message.contains("model.bin tensor 0 'image': \(field) \(Resealer.le64(record, at)) is larger than any file or arena this build can hold"), e.message)
                }
            }
        }
    }

    /// The runtime allocates and zeroes `arena bytes`: a value beyond what the plan's tensors
    /// need (a damaged PLAN field) is a format error, not a multi-gigabyte allocation.
    func testArenaBytesBeyondTheTensorsAreRejected() throws {
        let needed = SampleModel.description().arenaBytes
        try withFile(Resealer.patch(SampleModel.bytes, .plan, at: 0, with: [0x40, 0, 0, 0, 4])) { raw in
            XCTAssertThrowsError(try ModelFile(validating: raw)) { error in
                let e = error as! EdgeError
                XCTAssertEqual(e.kind, .format)
                XCTAssertTrue(e.message.contains("model.bin section PLAN: arena bytes 17179869248 exceed the \(needed) its tensors need"), e.message)
            }
        }
        try withFile(Resealer.patch(SampleModel.bytes, .plan, at: 0, with: [UInt8(needed & 0xFF), UInt8(needed >> 8)])) { raw in
            XCTAssertEqual(try ModelFile(validating: raw).arenaBytes, needed)
        }
    }

    /// FORMAT.md: the PLAN header's reserved word (offset 20) and each entry's (offset 12) are 0.
    func testNonZeroPlanReservedWordsAreRejected() throws {
        let entryReserved = 24 + 2 * 16 + 12
        for (at, expected) in [(20, "model.bin section PLAN: reserved byte 20 of the PLAN header is 7, must be 0"),
                               (entryReserved, "model.bin section PLAN: reserved byte 12 of the plan entry 2 is 7, must be 0")] {
            try withFile(Resealer.patch(SampleModel.bytes, .plan, at: at, with: [7])) { raw in
                XCTAssertThrowsError(try ModelFile(validating: raw)) { error in
                    let e = error as! EdgeError
                    XCTAssertEqual(e.kind, .format)
                    XCTAssertTrue(e.message.contains(expected), e.message)
                }
            }
        }
        XCTAssertEqual(Resealer.read(SampleModel.bytes, .plan, at: entryReserved - 12, count: 4), [4, 0, 0, 0], "entry 2 is tensor 4")
    }

    func testCRC32MatchesZlib() {
        let text = Array("123456789".utf8)
        XCTAssertEqual(text.withUnsafeBytes { CRC32.checksum($0) }, 0xCBF4_3926)
    }
}
