import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
import Foundation
import XCTest
@testable import EdgePack

/// Conformance on the MLPerf Tiny reference models (`../shared/models/mlperf-tiny`): every
/// model in the goldens manifest is packed by the TFLite importer and run by EdgeRuntime on
/// the manifest's inputs. The goldens were made by LiteRT's reference op resolver
/// (BUILTIN_REF); int8 outputs must match byte for byte, float32 outputs within 1e-5 x
/// max(1, max |expected|) (the reference kernels here, and this machine's SIMD kernels, whose
/// fully connected layers sum in another order).
///
/// The models are not part of the repository: the directory comes from EDGERUN_MLPERF_DIR,
/// else <package root>/../shared/models/mlperf-tiny, else /work/shared/models/mlperf-tiny.
final class TFLiteMLPerfTests: XCTestCase {
    static let floatTolerance: Float = 1e-5

    static func modelsDirectory() -> URL? {
        var candidates: [URL] = []
        if let env = ProcessInfo.processInfo.environment["EDGERUN_MLPERF_DIR"], !env.isEmpty {
            candidates.append(URL(fileURLWithPath: env))
        }
        candidates.append(Harness.root.appendingPathComponent("../shared/models/mlperf-tiny").standardizedFileURL)
        candidates.append(URL(fileURLWithPath: "/work/shared/models/mlperf-tiny"))
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("goldens/manifest.json").path) }
    }

    static func manifest() throws -> (URL, [String: [String: Any]]) {
        guard let dir = modelsDirectory() else {
            throw XCTSkip("MLPerf Tiny models not found: set EDGERUN_MLPERF_DIR, or place them at <package root>/../shared/models/mlperf-tiny or /work/shared/models/mlperf-tiny (with goldens/manifest.json)")
        }
        let manifestData = try Data(contentsOf: dir.appendingPathComponent("goldens/manifest.json"))
        return (dir, try XCTUnwrap(try JSONSerialization.jsonObject(with: manifestData) as? [String: [String: Any]]))
    }

    func testEveryMLPerfTinyModelMatchesTheLiteRTReferenceGoldens() throws {
        let (dir, manifest) = try Self.manifest()
        let tflites = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".tflite") }
        XCTAssertEqual(Set(manifest.keys), Set(tflites.map { String($0.dropLast(7)) }), "every model has goldens and every golden a model")
        XCTAssertGreaterThanOrEqual(manifest.count, 9, "the MLPerf Tiny folder holds 9 models")

        for name in manifest.keys.sorted() {
            let entry = manifest[name]!
            let cases = try XCTUnwrap(entry["cases"] as? Int, "\(name): manifest lacks 'cases'")
            XCTAssertGreaterThan(cases, 0, name)
            let source = dir.appendingPathComponent("\(name).tflite")
            var options = PackOptions()
            options.sourceName = source.lastPathComponent
            let packed: PackedModel
            do {
                packed = try Packer.pack(tflite: Array(try Data(contentsOf: source)), options: options).final
            } catch let e as EdgeError {
                XCTFail("\(name): pack failed: \(e.message)")
                continue
            }
            for kernels in [KernelTable.reference, KernelTable.forThisMachine()] {
                let interpreter = try Interpreter(model: try EdgeModel(bytes: packed.bytes), kernels: kernels)
                var worst: Float = 0
                for i in 0..<cases {
                    let input = try Harness.npy(dir.appendingPathComponent("goldens/\(name)/input_\(i).npy"))
                    let expected = try Harness.npy(dir.appendingPathComponent("goldens/\(name)/output_\(i).npy"))
                    let x = interpreter.input(0), y = interpreter.output(0)
                    guard input.data.count == x.byteCount, input.element == element(x.dtype) else {
                        XCTFail("\(name) case \(i): input \(input.element) \(input.shape) does not fit \(x.dtype.name) \(x.shape)")
                        break
                    }
                    x.bytes.copyBytes(from: input.data)
                    interpreter.invoke()
                    guard expected.data.count == y.byteCount, expected.element == element(y.dtype) else {
                        XCTFail("\(name) case \(i): expected \(expected.element) \(expected.shape), got \(y.dtype.name) \(y.shape)")
                        break
                    }
                    if y.dtype == .float32 {
                        let e = (0..<expected.elementCount).map { expected.float(at: $0) }
                        let a = (0..<y.elementCount).map { y.value(at: $0) }
                        let scale = max(1, e.map(abs).max() ?? 0)
                        worst = max(worst, zip(a, e).map { abs($0 - $1) / scale }.max() ?? 0)
                    } else {
                        let got = Array(y.bytes)
                        let mismatches = zip(got, expected.data).filter { $0 != $1 }.count
                        XCTAssertEqual(mismatches, 0, "\(name) case \(i) (\(kernels.isa) kernels): \(mismatches) of \(got.count) int8 outputs differ from LiteRT's reference")
                    }
                }
                XCTAssertLessThanOrEqual(worst, Self.floatTolerance, "\(name) (\(kernels.isa) kernels): float32 outputs off by \(worst) (relative)")
                print("\(name): model.bin \(packed.bytes.count) B (tflite \(try Data(contentsOf: source).count) B), arena \(packed.arenaBytes) B, \(kernels.isa) kernels, \(cases) cases, max relative float error \(worst)")
            }
        }
    }

    /// The same through the static Embedded Swift `edgerun` that `make test` builds (its
    /// default kernels, files in and out), the binary that ships to boards.
    func testStaticEdgerunMatchesTheGoldens() throws {
        let (dir, manifest) = try Self.manifest()
        guard let edgerun = ProcessInfo.processInfo.environment["EDGERUN_EMBEDDED"], FileManager.default.isExecutableFile(atPath: edgerun) else {
            throw MissingPrerequisite("EDGERUN_EMBEDDED does not name the Embedded Swift edgerun: run `make test`, which builds it")
        }
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("mlperf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        for name in manifest.keys.sorted() {
            var options = PackOptions()
            options.sourceName = "\(name).tflite"
            let bytes = try Packer.pack(tflite: Array(try Data(contentsOf: dir.appendingPathComponent("\(name).tflite"))), options: options).final.bytes
            let bin = tmp.appendingPathComponent("\(name).bin")
            try Data(bytes).write(to: bin)
            for i in 0..<(manifest[name]!["cases"] as? Int ?? 0) {
                let out = tmp.appendingPathComponent("\(name)-\(i).npy")
                let process = Process()
                process.executableURL = URL(fileURLWithPath: edgerun)
                process.arguments = [bin.path, "--input", dir.appendingPathComponent("goldens/\(name)/input_\(i).npy").path, "--output", out.path]
                process.standardOutput = FileHandle.nullDevice
                try process.run()
                process.waitUntilExit()
                XCTAssertEqual(process.terminationStatus, 0, "\(name) case \(i): edgerun failed")
                guard process.terminationStatus == 0 else { continue }
                let got = try Harness.npy(out)
                let expected = try Harness.npy(dir.appendingPathComponent("goldens/\(name)/output_\(i).npy"))
                XCTAssertEqual(got.element, expected.element, "\(name) case \(i)")
                XCTAssertEqual(got.shape.reduce(1, *), expected.shape.reduce(1, *), "\(name) case \(i)")
                if expected.element == .int8 {
                    XCTAssertEqual(got.data, expected.data, "\(name) case \(i): int8 outputs differ from LiteRT's reference")
                } else if got.elementCount == expected.elementCount {
                    let e = (0..<expected.elementCount).map { expected.float(at: $0) }
                    let scale = max(1, e.map(abs).max() ?? 0)
                    let worst = (0..<e.count).map { abs(got.float(at: $0) - e[$0]) / scale }.max() ?? 0
                    XCTAssertLessThanOrEqual(worst, Self.floatTolerance, "\(name) case \(i): float32 outputs off by \(worst) (relative)")
                }
            }
        }
    }

    private func element(_ dtype: DType) -> NPYArray.Element? {
        switch dtype {
        case .float32: return .float32
        case .int8: return .int8
        default: return nil
        }
    }
}
