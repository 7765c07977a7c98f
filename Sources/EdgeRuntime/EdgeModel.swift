import CEdgePlatform
import EdgeFormat

/// A model.bin held in memory: a read-only mapping of the file, or an aligned copy of bytes.
/// Validated once at construction; weights are then used in place by the interpreter.
public final class EdgeModel {
    public let file: ModelFile
    /// Bytes of the mapping (or the copy), for `edgerun bench` and `info`.
    public let mappedBytes: Int
    private var mapping: ep_mapping
    private let copy: UnsafeMutableRawPointer?

    /// Maps `path` read-only and validates it.
    public init(path: String) throws(EdgeError) {
        var mapping = ep_mapping(data: nil, size: 0)
        let cPath = Platform.cString(path)
        let status = ep_map_file(cPath, &mapping)
        cPath.deallocate()
        if status != 0 {
            throw EdgeError(.io, object: path, problem: "cannot map the model file: \(Platform.errorText(status))",
                            fix: "check the path and its permissions")
        }
        let bytes = UnsafeRawBufferPointer(start: mapping.data, count: mapping.size)
        do {
            file = try ModelFile(validating: bytes)
        } catch {
            ep_unmap(&mapping)
            throw EdgeError(error.kind, object: "\(path): \(error.object)", problem: error.problem, fix: error.fix)
        }
        self.mapping = mapping
        self.copy = nil
        mappedBytes = mapping.size
    }

    /// Copies `bytes` into a 64-byte aligned buffer and validates it (tests, the packer).
    public init(bytes: [UInt8]) throws(EdgeError) {
        guard let buffer = ep_alloc_aligned(bytes.count + FormatV1.overReadBytes) else {
            throw EdgeError(.resource, object: "model", problem: "cannot allocate \(bytes.count) bytes", fix: "free memory")
        }
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        do {
            file = try ModelFile(validating: UnsafeRawBufferPointer(start: buffer, count: bytes.count))
        } catch {
            ep_free(buffer)
            throw error
        }
        mapping = ep_mapping(data: nil, size: 0)
        copy = buffer
        mappedBytes = bytes.count
    }

    deinit {
        ep_unmap(&mapping)
        if let copy { ep_free(copy) }
    }
}
