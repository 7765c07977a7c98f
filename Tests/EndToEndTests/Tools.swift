import EdgeTestSupport
import Foundation
import XCTest

/// Locates the built command-line tools and runs them as a user would.
enum Tools {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The debug products `swift build --build-tests` leaves next to the test bundle.
    static func debugProduct(_ name: String) throws -> URL {
        let url = Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        let fallback = root.appendingPathComponent(".build/debug/\(name)")
        guard FileManager.default.isExecutableFile(atPath: fallback.path) else {
            throw MissingPrerequisite("\(name) is not built at \(url.path): run `make test`")
        }
        return fallback
    }

    /// The static Embedded Swift edgerun that `make test` builds and passes in EDGERUN_EMBEDDED.
    static func embeddedEdgerun() throws -> URL {
        guard let path = ProcessInfo.processInfo.environment["EDGERUN_EMBEDDED"], FileManager.default.isExecutableFile(atPath: path) else {
            throw MissingPrerequisite("EDGERUN_EMBEDDED does not name the Embedded Swift edgerun: run `make test`, which builds it")
        }
        return URL(fileURLWithPath: path)
    }

    /// The static aarch64 edgerun that `make test` cross-builds and passes in EDGERUN_AARCH64.
    static func aarch64Edgerun() throws -> URL {
        guard let path = ProcessInfo.processInfo.environment["EDGERUN_AARCH64"], FileManager.default.isExecutableFile(atPath: path) else {
            throw MissingPrerequisite("EDGERUN_AARCH64 does not name the cross-built aarch64 edgerun: run `make test`, which builds it (`make cross BOARD=rpi4`)")
        }
        return URL(fileURLWithPath: path)
    }

    /// `qemu-aarch64` from PATH (Debian package qemu-user, installed by `scripts/install-deps.sh --cross`).
    static func qemuAarch64() throws -> URL {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"
        for dir in path.split(separator: ":") {
            let url = URL(fileURLWithPath: String(dir)).appendingPathComponent("qemu-aarch64")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw MissingPrerequisite("qemu-aarch64 is not on PATH: run `make test`, which installs qemu-user")
    }

    /// A little-endian float32 .npy file (version 1.0, data 64-byte aligned) with `values` in `shape`.
    static func float32NPY(_ values: [Float], shape: String) -> Data {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        data.append(contentsOf: Array(header.utf8))
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    @discardableResult
    static func run(_ tool: URL, _ arguments: [String], stdin: Data? = nil,
                    environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = tool
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// One packed firmware model and one of its sample inputs.
    struct PackedCase {
        var model: String
        var quantized: Bool
        var sample: Int
        var bin: String
        var input: String
    }

    /// Packs digits_mlp and digits_cnn, float32 and int8, into `dir` with `edgepack`, and
    /// returns every (model.bin, sample_N.npy) pair.
    static func packFirmwareModels(into dir: URL) throws -> [PackedCase] {
        let edgepack = try debugProduct("edgepack")
        var cases: [PackedCase] = []
        for model in ["digits_mlp", "digits_cnn"] {
            let source = root.appendingPathComponent("firmware-models/\(model)")
            for quantized in [false, true] {
                let bin = dir.appendingPathComponent("\(model)-\(quantized ? "int8" : "f32").bin").path
                var args = ["pack", source.appendingPathComponent("model.onnx").path, "-o", bin]
                if quantized { args += ["--quantize", "int8", "--calibration", source.appendingPathComponent("calibration.npy").path] }
                let packed = try run(edgepack, args)
                XCTAssertEqual(packed.status, 0, "edgepack \(args.joined(separator: " ")): \(packed.stderr)")
                for n in 0..<3 {
                    cases.append(PackedCase(model: model, quantized: quantized, sample: n, bin: bin,
                                            input: source.appendingPathComponent("sample_\(n).npy").path))
                }
            }
        }
        return cases
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("edgerun-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

