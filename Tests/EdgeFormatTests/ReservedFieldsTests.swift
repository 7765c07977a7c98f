import EdgeFormat
import EdgeTestSupport
import XCTest

/// FORMAT.md marks reserved fields that must be 0: the header's bytes 48..<64, each section
/// table entry's word at 28, each record array's prefix bytes 8..<16, each tensor record's
/// bytes 5..<8, each op record's bytes 24..<32, the PLAN header's word at 20 and each plan
/// entry's word at 12, and the block-sparse header's bytes 20..<32. Every one of those bytes,
/// set to a non-zero value with the CRCs recomputed, is rejected at load with an error that
/// names the record, the byte and its value, and the fix.
final class ReservedFieldsTests: XCTestCase {
    func load(_ bytes: [UInt8]) throws -> ModelFile {
        try bytes.withUnsafeBytes { raw in
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: raw.count, alignment: 64)
            buffer.copyMemory(from: raw.baseAddress!, byteCount: raw.count)
            return try ModelFile(validating: UnsafeRawBufferPointer(start: buffer, count: raw.count))
        }
    }

    /// `bytes` with the byte at file offset `at` set to `value`, every CRC recomputed.
    func damaged(_ bytes: [UInt8], at: Int, value: UInt8) -> [UInt8] {
        Resealer.patch(bytes, fileOffset: at, with: [value])
    }

    /// (file offset of the byte, object, record and byte offset the message names).
    func reservedBytes(_ bytes: [UInt8]) -> [(at: Int, object: String, record: String, byte: Int)] {
        let le32 = Resealer.le32, le64 = Resealer.le64
        var out: [(Int, String, String, Int)] = (48..<64).map { ($0, "model.bin header", "header", $0) }
        let table = Int(le64(bytes, 32))
        for i in 0..<Int(le32(bytes, 20)) {
            let entry = table + 32 * i, kind = SectionKind(rawValue: le32(bytes, entry))!
            let object = "model.bin section \(kind.name)"
            out += (28..<32).map { (entry + $0, object, "section table entry", $0) }
            let offset = Int(le64(bytes, entry + 8))
            switch kind {
            case .tensors, .quant, .ops, .operands:
                out += (8..<16).map { (offset + $0, object, "record array prefix", $0) }
                let count = Int(le32(bytes, offset)), stride = Int(le32(bytes, offset + 4))
                for r in 0..<count where kind == .tensors || kind == .ops {
                    let record = offset + 16 + r * stride
                    let (name, bytes) = kind == .tensors ? ("tensor record", 5..<8) : ("op record", 24..<32)
                    out += bytes.map { (record + $0, kind == .tensors ? "model.bin tensor \(r) '" : "model.bin op \(r) (", name, $0) }
                }
            case .plan:
                out += (20..<24).map { (offset + $0, object, "PLAN header", $0) }
                for e in 0..<Int(le32(bytes, offset + 12)) {
                    out += (12..<16).map { (offset + 24 + 16 * e + $0, object, "plan entry \(e)", $0) }
                }
            default: break
            }
        }
        return out
    }

    func assertRejected(_ bytes: [UInt8], at: Int, object: String, record: String, byte: Int, line: UInt = #line) {
        for value: UInt8 in [1, 0x80] {
            XCTAssertThrowsError(try load(damaged(bytes, at: at, value: value)), "byte at \(at)", line: line) { error in
                let e = error as! EdgeError
                XCTAssertEqual(e.kind, .format, line: line)
                let problem = "reserved byte \(byte) of the \(record) is \(value), must be 0"
                XCTAssertTrue(e.message.hasPrefix(object), "'\(object)' does not start: \(e.message)", line: line)
                XCTAssertTrue(e.message.contains(problem), "'\(problem)' not in: \(e.message)", line: line)
                XCTAssertTrue(e.message.contains("re-pack the model with the edgepack that matches this edgerun"), e.message, line: line)
            }
        }
    }

    func testEveryReservedByteOfTheSampleModelIsChecked() throws {
        let bytes = SampleModel.bytes
        _ = try load(bytes)
        let reserved = reservedBytes(bytes)
        // 16 header, 8 sections x 4 (plus CONSTANTS), 4 prefixes x 8, tensors x 3, ops x 8, PLAN 4 + entries x 4.
        XCTAssertGreaterThan(reserved.count, 16 + 8 * 4 + 4 * 8 + 10 * 3 + 4 * 8 + 4)
        for r in reserved {
            XCTAssertEqual(bytes[r.at], 0, "byte at \(r.at) (\(r.record) byte \(r.byte)) is not reserved-zero in the sample")
            assertRejected(bytes, at: r.at, object: r.object, record: r.record, byte: r.byte)
        }
    }

    /// The block-sparse header's reserved bytes 20..<32 (the sample's fc weights, layout 1).
    func testEveryReservedByteOfTheBlockSparseHeaderIsChecked() throws {
        var dense = [Int8](repeating: 0, count: 3 * 36)
        for i in 0..<4 { dense[i] = Int8(i + 1); dense[2 * 36 + 12 + i] = 7 }
        var d = SampleModel.description()
        d.tensors[6] = ModelDescription.Tensor(name: "fc.weights", dtype: .int8, shape: [3, 36],
                                               constantData: SparseWeights.encode(dense, rows: 3, columns: 36, blockWidth: 4))
        d.tensors[6].layout = SparseWeights.layout
        let bytes = ModelWriter.serialize(d)
        let file = try load(bytes)
        let data = Int(bitPattern: file.constantData(file.tensor(6))) - Int(bitPattern: file.bytes.baseAddress!)
        for byte in 20..<32 {
            assertRejected(bytes, at: data + byte, object: "model.bin tensor 6 'fc.weights'", record: "block-sparse header", byte: byte)
        }
    }
}
