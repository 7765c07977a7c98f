import CEdgePlatform
import EdgeFormat

/// Swift face of the CEdgePlatform seam; the only place the runtime talks to the OS.
public enum Platform {
    /// Monotonic time in nanoseconds.
    public static func nanoseconds() -> UInt64 { ep_now_ns() }

    /// Wall-clock time as (seconds, nanoseconds) since the Unix epoch.
    public static func wallTime() -> (seconds: Int64, nanoseconds: Int32) {
        var s: Int64 = 0
        var ns: Int32 = 0
        ep_wall_time(&s, &ns)
        return (s, ns)
    }

    public static func environment(_ name: String) -> String? {
        let cName = cString(name)
        let value = ep_getenv(cName)
        cName.deallocate()
        return value.map { String(cString: $0) }
    }

    public static func peakResidentBytes() -> UInt64 { ep_peak_rss_bytes() }

    /// True when standard input is an interactive terminal (nothing piped in).
    public static var standardInputIsTerminal: Bool { ep_is_terminal(0) != 0 }

    /// Text of an errno value.
    public static func errorText(_ code: Int32) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { buffer in
            ep_error_text(code, buffer.baseAddress!, 256)
            return String(cString: buffer.baseAddress!)
        }
    }

    /// Writes a string to a file descriptor (1 stdout, 2 stderr).
    public static func write(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { _ = ep_write_fd(fd, $0.baseAddress, $0.count) }
    }

    public static func write(bytes: UnsafeRawBufferPointer, to fd: Int32) -> Int32 {
        ep_write_fd(fd, bytes.baseAddress, bytes.count)
    }

    /// Reads a whole file, or standard input when `path` is nil.
    public static func readAll(path: String?) throws(EdgeError) -> [UInt8] {
        var data: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        let status: Int32
        if let path {
            let cPath = cString(path)
            status = ep_read_all(cPath, -1, 0, &data, &size)
            cPath.deallocate()
        } else {
            status = ep_read_all(nil, 0, 0, &data, &size)
        }
        if status != 0 {
            throw EdgeError(.io, object: path ?? "standard input", problem: "cannot read: \(errorText(status))",
                            fix: "check the path and its permissions")
        }
        defer { ep_free(data) }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// Writes `bytes` to `path` through a temporary file and a rename, so a failed or
    /// interrupted write never leaves a partial file behind.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws(EdgeError) {
        let cPath = cString(path)
        let status = bytes.withUnsafeBytes { raw in ep_write_file_atomic(cPath, raw.baseAddress, raw.count) }
        cPath.deallocate()
        if status != 0 {
            throw EdgeError(.io, object: path, problem: "cannot write: \(errorText(status))",
                            fix: "check that the directory exists and is writable")
        }
    }

    /// A NUL-terminated copy of `string` for a C call; the caller deallocates it. Not generic
    /// and without a closure, so the device binary has one copy of it rather than one
    /// specialization per caller (paths, names and the GPIO consumer, never per inference).
    @inline(never)
    public static func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
        var string = string
        return string.withUTF8 { utf8 in
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count + 1)
            for i in 0..<utf8.count { buffer[i] = CChar(bitPattern: utf8[i]) }
            buffer[utf8.count] = 0
            return buffer
        }
    }
}
