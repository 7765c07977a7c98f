import CEdgeGPIO
import CEdgePlatform
import EdgeFormat
import EdgeRuntime

/// What waiting on the input line produced.
public enum EdgeWait {
    /// An edge with the kernel's timestamp (same clock as `WatchClock.now`).
    case edge(EdgeKind, timestampNs: UInt64)
    /// The timeout passed with no edge.
    case idle
    /// SIGINT or SIGTERM arrived (or the source ended): finish and exit.
    case stop
}

/// The input line. `GPIOEdgeSource` is the libgpiod one; tests script edges.
public protocol EdgeSource {
    func wait(timeoutNs: UInt64) throws(EdgeError) -> EdgeWait
}

/// The output line (relay, LED). `GPIOOutputLine` is the libgpiod one.
public protocol OutputLine {
    func set(active: Bool) throws(EdgeError)
}

/// Monotonic and wall clocks.
public protocol WatchClock {
    func now() -> UInt64
    func wall() -> (seconds: Int64, nanoseconds: Int32)
}

public struct SystemClock: WatchClock {
    public init() {}
    public func now() -> UInt64 { ep_now_ns() }
    public func wall() -> (seconds: Int64, nanoseconds: Int32) {
        var s: Int64 = 0
        var ns: Int32 = 0
        ep_wall_time(&s, &ns)
        return (s, ns)
    }
}

/// Turns an errno from the GPIO seam into an error naming the chip or line and the fix.
func gpioError(_ code: Int32, object: String, action: String) -> EdgeError {
    let text = errnoText(code)
    switch Int(eg_error_kind(code)) {
    case EG_ERR_NO_CHIP:
        return EdgeError(.gpio, object: object, problem: "no such GPIO chip (\(text))",
                         fix: "list the chips with gpiodetect (or ls /dev/gpiochip*) and pass a path, name or label")
    case EG_ERR_BUSY:
        return EdgeError(.gpio, object: object, problem: "line is busy: another process or a kernel driver holds it (\(text))",
                         fix: "find the holder with gpioinfo and stop it, or choose another line")
    case EG_ERR_PERMISSION:
        return EdgeError(.gpio, object: object, problem: "permission denied (\(text))",
                         fix: "run as root or add the user to the group owning /dev/gpiochip* (gpio on Raspberry Pi OS)")
    case EG_ERR_INVALID:
        return EdgeError(.gpio, object: object, problem: "cannot \(action): invalid line (\(text))",
                         fix: "check the line offset against gpioinfo")
    default:
        return EdgeError(.gpio, object: object, problem: "cannot \(action): \(text)", fix: "check the chip with gpioinfo")
    }
}

func errnoText(_ code: Int32) -> String {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 128) { buffer in
        ep_error_text(code, buffer.baseAddress!, 128)
        return String(cString: buffer.baseAddress!)
    }
}

/// An open GPIO chip; closing it releases every line requested from it.
public final class GPIOChip {
    let handle: OpaquePointer
    public let spec: String
    public let name: String
    public let label: String
    public let lineCount: Int

    public init(_ spec: String) throws(EdgeError) {
        var chip: OpaquePointer? = nil
        let cSpec = Platform.cString(spec)
        let rc = eg_chip_open(cSpec, &chip)
        cSpec.deallocate()
        guard rc == 0, let chip else { throw gpioError(rc, object: "GPIO chip '\(spec)'", action: "open") }
        handle = chip
        self.spec = spec
        name = String(cString: eg_chip_name(chip))
        label = String(cString: eg_chip_label(chip))
        lineCount = Int(eg_chip_lines(chip))
    }

    deinit { eg_chip_close(handle) }

    func object(_ offset: Int) -> String { "GPIO line \(offset) of \(name) (\(label))" }

    func checkOffset(_ offset: Int) throws(EdgeError) {
        guard offset >= 0 && offset < lineCount else {
            throw EdgeError(.gpio, object: "GPIO line \(offset) of \(name) (\(label))",
                            problem: "the chip has lines 0...\(lineCount - 1)", fix: "check the line offset against gpioinfo \(name)")
        }
    }
}

/// Edge events of one line through libgpiod; a stop signal ends the wait.
public final class GPIOEdgeSource: EdgeSource {
    let chip: GPIOChip
    let line: OpaquePointer

    public init(chip: GPIOChip, offset: Int, edges: EdgeSelection, consumer: String) throws(EdgeError) {
        try chip.checkOffset(offset)
        let mode: Int32 = edges == .rising ? Int32(EG_EDGE_RISING) : edges == .falling ? Int32(EG_EDGE_FALLING) : Int32(EG_EDGE_BOTH)
        var line: OpaquePointer? = nil
        let cConsumer = Platform.cString(consumer)
        let rc = eg_request_events(chip.handle, UInt32(offset), mode, cConsumer, &line)
        cConsumer.deallocate()
        guard rc == 0, let line else { throw gpioError(rc, object: chip.object(offset), action: "request edge events") }
        self.chip = chip
        self.line = line
    }

    deinit { eg_release(line) }

    public func wait(timeoutNs: UInt64) throws(EdgeError) -> EdgeWait {
        var event = eg_event()
        let rc = eg_wait_event(line, Int64(min(timeoutNs, UInt64(Int64.max))), &event)
        if rc < 0 { throw gpioError(-rc, object: "GPIO line of \(chip.name)", action: "read an edge event") }
        if eg_stop_requested() != 0 { return .stop }
        if rc == 0 { return .idle }
        return .edge(event.edge == Int32(EG_EDGE_RISING) ? .rising : .falling, timestampNs: UInt64(max(0, event.timestamp_ns)))
    }
}

/// An output line through libgpiod, requested inactive (0).
public final class GPIOOutputLine: OutputLine {
    let chip: GPIOChip
    let line: OpaquePointer
    let offset: Int

    public init(chip: GPIOChip, offset: Int, consumer: String) throws(EdgeError) {
        try chip.checkOffset(offset)
        var line: OpaquePointer? = nil
        let cConsumer = Platform.cString(consumer)
        let rc = eg_request_output(chip.handle, UInt32(offset), cConsumer, 0, &line)
        cConsumer.deallocate()
        guard rc == 0, let line else { throw gpioError(rc, object: chip.object(offset), action: "request as output") }
        self.chip = chip
        self.line = line
        self.offset = offset
    }

    deinit { eg_release(line) }

    public func set(active: Bool) throws(EdgeError) {
        let rc = eg_set_value(line, active ? 1 : 0)
        if rc != 0 { throw gpioError(rc, object: chip.object(offset), action: "set the level") }
    }
}
