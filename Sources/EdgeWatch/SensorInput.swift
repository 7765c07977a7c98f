import CEdgeGPIO
import CEdgePlatform
import EdgeFormat
import EdgeRuntime

/// The sensor side of `edgerun watch`: on each event, reads one input (raw bytes of the
/// model input's exact size, or an .npy of its dtype and shape) into the model's input tensor.
/// A file is re-read whole each time; a device is re-opened and one raw frame of the input's
/// size read; a FIFO or "-" (standard input) gives one raw frame per event. All buffers are
/// allocated here, once.
public final class SensorInput {
    public let path: String
    let pathBytes: [UInt8]
    let tensor: TensorView
    private let cPath: UnsafeMutablePointer<CChar>
    private var source: eg_source
    private let buffer: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    /// `'input' 1x1x8x8 float32 (256 bytes)`, for messages.
    private let expected: [UInt8]
    private let npyDescr: [UInt8]

    public init(path: String, tensor: TensorView) throws(EdgeError) {
        // Opened before anything is allocated: once all properties are set, a throw would
        // run deinit and free them.
        var source = eg_source(fd: -1, kind: 0)
        let cName = Platform.cString(path)
        let rc = eg_source_open(cName, &source)
        cName.deallocate()
        if rc != 0 {
            throw EdgeError(.io, object: "--input \(path)", problem: "cannot open: \(errnoText(rc))",
                            fix: "pass a readable file, device, FIFO or - for standard input")
        }
        self.source = source
        self.path = path
        self.tensor = tensor
        pathBytes = Array(path.utf8)
        cPath = Platform.cString(path)
        capacity = tensor.byteCount + 4096
        buffer = .allocate(capacity: capacity)
        expected = Array("'\(tensor.name)' \(tensor.shape.text) \(tensor.dtype.name) (\(tensor.byteCount) bytes)".utf8)
        switch tensor.dtype {
        case .float32: npyDescr = Array("<f4".utf8)
        case .int8: npyDescr = Array("|i1".utf8)
        case .uint8: npyDescr = Array("|u1".utf8)
        case .int16: npyDescr = Array("<i2".utf8)
        case .int32: npyDescr = Array("<i4".utf8)
        case .bool: npyDescr = Array("|b1".utf8)
        case .uint16: npyDescr = Array("<u2".utf8)
        case .int64: npyDescr = Array("<i8".utf8)
        case .float16: npyDescr = Array("<f2".utf8)
        // float8 as bit patterns, 4-bit integers one per byte, as `edgerun run` reads them.
        case .float8E4M3FN, .float8E5M2, .uint4: npyDescr = Array("|u1".utf8)
        case .int4: npyDescr = Array("|i1".utf8)
        }
    }

    deinit {
        eg_source_close(&source)
        cPath.deallocate()
        buffer.deallocate()
    }

    /// True for a FIFO or standard input (frames), false for a file or device re-read per event.
    public var isStream: Bool { source.kind == Int32(EG_SOURCE_STREAM) }
    /// True when each event reads exactly one raw frame (stream or device), never an .npy.
    var readsFrames: Bool { source.kind != Int32(EG_SOURCE_FILE) }

    /// Fills the input tensor. On failure returns false with the reason in `problem` (the
    /// event is skipped; the tensor may hold partial data).
    public func read(problem: ByteLine) -> Bool {
        var size = 0
        let rc = eg_source_read(&source, cPath, buffer, capacity, tensor.byteCount, &size)
        if rc != 0 {
            problem.put("cannot read: ")
            withUnsafeTemporaryAllocation(of: CChar.self, capacity: 128) { text in
                ep_error_text(rc, text.baseAddress!, 128)
                problem.put(cString: text.baseAddress!, json: false)
            }
            return false
        }
        var data = 0
        if size >= 10 && buffer[0] == 0x93 && buffer[1] == UInt8(ascii: "N") && buffer[2] == UInt8(ascii: "U") && !readsFrames {
            guard let offset = npyDataOffset(size: size, problem: problem) else { return false }
            data = offset
        }
        if size - data != tensor.byteCount {
            problem.put(data == 0 ? "raw input has " : ".npy data has ")
            problem.put(size - data)
            problem.put(" bytes, the model input ")
            problem.put(expected)
            problem.put(" needs exactly that many")
            return false
        }
        tensor.data.copyMemory(from: buffer + data, byteCount: tensor.byteCount)
        if tensor.dtype == .float32 {
            let values = tensor.data.assumingMemoryBound(to: Float.self)
            for i in 0..<tensor.elementCount where !values[i].isFinite {
                problem.put("element ")
                problem.put(i)
                problem.put(" is NaN or infinite")
                return false
            }
        }
        return true
    }

    /// Checks an .npy header against the input's dtype and element count; returns where the
    /// data starts.
    private func npyDataOffset(size: Int, problem: ByteLine) -> Int? {
        let major = buffer[6]
        let headerLength = major == 1 ? Int(buffer[8]) | Int(buffer[9]) << 8
            : size >= 12 ? Int(buffer[8]) | Int(buffer[9]) << 8 | Int(buffer[10]) << 16 | Int(buffer[11]) << 24 : -1
        let start = major == 1 ? 10 : 12
        guard headerLength > 0, start + headerLength <= size else {
            problem.put(".npy header is cut short")
            return nil
        }
        let header = UnsafeBufferPointer(start: buffer + start, count: headerLength)
        guard let descr = find(header, "'descr': '"), matches(header, at: descr, npyDescr),
              find(header, "'fortran_order': False") != nil,
              let shape = find(header, "'shape': (") else {
            problem.put(".npy header does not describe a C-ordered array of the model input's dtype; the model input is ")
            problem.put(expected)
            return nil
        }
        var product = 1, value = 0, inNumber = false, i = shape
        while i < header.count && header[i] != UInt8(ascii: ")") {
            let b = header[i]
            if b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") {
                value = value * 10 + Int(b - UInt8(ascii: "0"))
                inNumber = true
            } else if inNumber {
                product *= value
                value = 0
                inNumber = false
            }
            i += 1
        }
        if inNumber { product *= value }
        if product != tensor.elementCount {
            problem.put(".npy array has ")
            problem.put(product)
            problem.put(" elements, the model input ")
            problem.put(expected)
            problem.put(" needs ")
            problem.put(tensor.elementCount)
            return nil
        }
        return start + headerLength
    }
}

/// Index just after `needle` in `hay`, or nil.
private func find(_ hay: UnsafeBufferPointer<UInt8>, _ needle: StaticString) -> Int? {
    let n = needle.utf8CodeUnitCount, p = needle.utf8Start
    guard hay.count >= n else { return nil }
    outer: for start in 0...(hay.count - n) {
        for j in 0..<n where hay[start + j] != p[j] { continue outer }
        return start + n
    }
    return nil
}

private func matches(_ hay: UnsafeBufferPointer<UInt8>, at start: Int, _ bytes: [UInt8]) -> Bool {
    guard start + bytes.count <= hay.count else { return false }
    for (j, b) in bytes.enumerated() where hay[start + j] != b { return false }
    return true
}
