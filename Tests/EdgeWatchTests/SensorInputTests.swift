import EdgeFormat
import EdgeRuntime
import EdgeTestSupport
@testable import EdgeWatch
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The sensor sources of `edgerun watch`: files re-read per event, devices and FIFOs read one
/// raw frame per event.
final class SensorInputTests: XCTestCase {
    func makeInterpreter() throws -> Interpreter { try Interpreter(model: try EdgeModel(bytes: SampleModel.bytes)) }

    func values(_ t: TensorView) -> [Float] { (0..<t.elementCount).map { t.value(at: $0) } }

    func testFIFOGivesOneFramePerEvent() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let path = scratch.path("sensor.fifo")
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        let interpreter = try makeInterpreter()
        let sensor = try SensorInput(path: path, tensor: interpreter.input(0))
        XCTAssertTrue(sensor.isStream)
        let a = SampleModel.values(36, seed: 11), b = SampleModel.values(36, seed: 12)
        let writer = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        writer.write(floatBytes(a) + floatBytes(b))
        let problem = ByteLine(capacity: 512)
        XCTAssertTrue(sensor.read(problem: problem))
        XCTAssertEqual(values(interpreter.input(0)), a)
        XCTAssertTrue(sensor.read(problem: problem))
        XCTAssertEqual(values(interpreter.input(0)), b, "the second event gets the second frame")
        try writer.close()
    }

    func testDeviceIsReadOneFramePerEvent() throws {
        let interpreter = try makeInterpreter()
        let input = interpreter.input(0)
        input.data.initializeMemory(as: UInt8.self, repeating: 0x7F, count: input.byteCount)
        let sensor = try SensorInput(path: "/dev/zero", tensor: input)
        XCTAssertFalse(sensor.isStream)
        let problem = ByteLine(capacity: 512)
        XCTAssertTrue(sensor.read(problem: problem), String(decoding: problem.bytes, as: UTF8.self))
        XCTAssertEqual(values(input), [Float](repeating: 0, count: 36))
    }

    func testFileIsReReadEachEventAndOversizeIsReported() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let url = URL(fileURLWithPath: scratch.path("frame.bin"))
        let interpreter = try makeInterpreter()
        try floatBytes(SampleModel.values(36, seed: 1)).write(to: url)
        let sensor = try SensorInput(path: url.path, tensor: interpreter.input(0))
        let problem = ByteLine(capacity: 512)
        XCTAssertTrue(sensor.read(problem: problem))
        let second = SampleModel.values(36, seed: 2)
        try floatBytes(second).write(to: url)
        XCTAssertTrue(sensor.read(problem: problem))
        XCTAssertEqual(values(interpreter.input(0)), second)
        try Data(count: 100_000).write(to: url)
        XCTAssertFalse(sensor.read(problem: problem))
        XCTAssertTrue(String(decoding: problem.bytes, as: UTF8.self).hasPrefix("raw input has 100000 bytes"))
    }

    func testMissingSourceIsAnIOError() throws {
        let interpreter = try makeInterpreter()
        XCTAssertThrowsError(try SensorInput(path: "/nonexistent/frame.npy", tensor: interpreter.input(0))) { error in
            let e = error as! EdgeError
            XCTAssertEqual(e.kind, .io)
            XCTAssertTrue(e.message.hasPrefix("--input /nonexistent/frame.npy: cannot open"), e.message)
        }
    }
}
