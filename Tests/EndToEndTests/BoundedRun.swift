import Foundation

/// One run of a tool that must exit by itself (the damaged-file tests): `stdin` written and
/// closed, standard output dropped, standard error kept, the process killed after `timeout`
/// seconds.
struct BoundedRun {
    /// The exit status, or the signal number when `signalled`; -1 after a timeout.
    let status: Int32
    let stderr: String
    let signalled: Bool
    let timedOut: Bool

    init(_ tool: URL, _ arguments: [String], environment: [String: String]? = nil, stdin: Data?,
         timeout: TimeInterval) throws {
        let process = Process()
        process.executableURL = tool
        process.arguments = arguments
        if let environment { process.environment = environment }
        let err = Pipe(), input = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        process.standardInput = input
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        try process.run()
        if let stdin { try? input.fileHandleForWriting.write(contentsOf: stdin) }
        try? input.fileHandleForWriting.close()
        if done.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            done.wait()
            (status, stderr, signalled, timedOut) = (-1, "", false, true)
            return
        }
        stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        status = process.terminationStatus
        signalled = process.terminationReason == .uncaughtSignal
        timedOut = false
    }
}
