/// The one error type of EdgeRun's device side (format, runtime, CLI).
///
/// Every error names the object at fault, the bad value, and what to do about it, so that a
/// message read off a board's log is enough to act on. It is a struct rather than an enum with
/// payloads so that a message can carry any detail without a case per situation; `kind` is what
/// code and tests branch on.
public struct EdgeError: Error {
    public enum Kind: UInt8, Sendable {
        /// The command line is wrong.
        case usage
        /// A file or device could not be opened, read, mapped or written.
        case io
        /// model.bin is malformed: bad magic, truncated, out-of-bounds or misaligned field.
        case format
        /// A section's CRC does not match: the file was damaged after packing.
        case checksum
        /// model.bin is of a format version this build does not read.
        case version
        /// The model uses an op, dtype or parameter combination this runtime does not run.
        case unsupported
        /// An input tensor has the wrong size, shape or contents (NaN, ...).
        case input
        /// Memory could not be allocated.
        case resource
        /// A GPIO chip or line is missing, busy or not permitted.
        case gpio
    }

    public let kind: Kind
    /// What is at fault, e.g. "model.bin section TENSORS, tensor 3 'conv1/weights'".
    public let object: String
    /// The bad value and why it is bad, e.g. "dims[1] = 0, must be >= 1".
    public let problem: String
    /// What the user should do, e.g. "re-pack the model with edgepack".
    public let fix: String

    public init(_ kind: Kind, object: String, problem: String, fix: String) {
        self.kind = kind
        self.object = object
        self.problem = problem
        self.fix = fix
    }

    /// One line for logs and the CLI.
    public var message: String {
        fix.isEmpty ? "\(object): \(problem)" : "\(object): \(problem); \(fix)"
    }

    /// The process exit code `edgerun` uses for this kind (listed in `edgerun --help`).
    public var exitCode: Int32 {
        switch kind {
        case .usage: return 2
        case .io: return 3
        case .format, .checksum, .version: return 4
        case .unsupported: return 5
        case .input: return 6
        case .resource: return 7
        case .gpio: return 8
        }
    }
}

extension EdgeError {
    static let repack = "re-pack the model with edgepack (the file may be damaged or cut short)"

    @inline(never)
    static func format(_ object: String, _ problem: String) -> EdgeError {
        EdgeError(.format, object: object, problem: problem, fix: repack)
    }
}
