import EdgeFormat
import EdgeRuntime
import Foundation

/// One board profile, `boards/<name>.json` (fields in `boards/SCHEMA.md`): the parts
/// `edgepack check` needs, i.e. the core, its clock and ISA, the budgets, the recorded size of
/// the board's `edgerun`, and the cost model's coefficients.
public struct BoardProfile: Sendable {
    public var name: String
    public var description: String
    public var cpu: String
    /// SIMD features the kernels may dispatch on (`neon`, `dotprod`, ... or `avx2` for a host).
    public var isa: [String]
    public var clockMHz: Int
    public var ramBudgetBytes: Int
    public var storageBudgetBytes: Int
    /// Recorded bytes of the stripped `make cross` edgerun for this board (`edgerun.binary_bytes`).
    public var edgerunBytes: Int
    /// Resident bytes of a running edgerun besides the model mapping and the arena.
    public var runtimeOverheadBytes: Int
    public var cost: CostCoefficients

    /// Loads `<directory>/<name>.json`. Errors name the file, the field and the fix.
    public static func load(name: String, directory: String) throws(EdgeError) -> BoardProfile {
        let path = directory + "/" + name + ".json"
        guard FileManager.default.fileExists(atPath: path) else {
            let known = available(in: directory)
            throw EdgeError(.usage, object: "--board \(name)", problem: "no board profile \(path)",
                            fix: known.isEmpty ? "pass --boards-dir with the directory of the board JSON files"
                                               : "use one of: \(known.joined(separator: ", ")) (or --boards-dir for other profiles)")
        }
        return try parse(try Platform.readAll(path: path), path: path)
    }

    /// Board names (file names without `.json`) in `directory`, sorted.
    public static func available(in directory: String) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    public static func parse(_ bytes: [UInt8], path: String) throws(EdgeError) -> BoardProfile {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes))
        } catch {
            throw EdgeError(.input, object: path, problem: "is not valid JSON (\(error.localizedDescription))",
                            fix: "fix the file; the fields are described in boards/SCHEMA.md")
        }
        let fields = Fields(object, path: path, prefix: "")
        let edgerun = try fields.object("edgerun")
        let model = try fields.object("latency_model")
        let ram = try fields.positiveInt("ram_budget_bytes")
        return BoardProfile(
            name: try fields.string("name"), description: try fields.string("description"),
            cpu: try fields.string("cpu"), isa: try fields.strings("isa"),
            clockMHz: try fields.positiveInt("clock_mhz"), ramBudgetBytes: ram,
            storageBudgetBytes: try fields.positiveInt("storage_budget_bytes"),
            edgerunBytes: try edgerun.positiveInt("binary_bytes"),
            runtimeOverheadBytes: try edgerun.positiveInt("rss_overhead_bytes"),
            cost: try CostCoefficients(model))
    }
}

/// Typed access to one JSON object with errors that name the file and the field.
struct Fields {
    let values: [String: Any]
    let path: String
    let prefix: String

    init(_ object: Any, path: String, prefix: String) {
        values = object as? [String: Any] ?? [:]
        self.path = path
        self.prefix = prefix
    }

    func fail(_ key: String, _ expected: String) -> EdgeError {
        let found = values[key].map { "\($0)" } ?? "nothing"
        return EdgeError(.input, object: "\(path) field \(prefix)\(key)", problem: "expected \(expected), found \(found)",
                         fix: "fix the profile as boards/SCHEMA.md describes")
    }

    func string(_ key: String) throws(EdgeError) -> String {
        guard let value = values[key] as? String, !value.isEmpty else { throw fail(key, "a non-empty string") }
        return value
    }

    func strings(_ key: String) throws(EdgeError) -> [String] {
        guard let value = values[key] as? [String] else { throw fail(key, "an array of strings") }
        return value
    }

    func positiveInt(_ key: String) throws(EdgeError) -> Int {
        guard let number = values[key] as? NSNumber, let value = Int(exactly: number.doubleValue), value > 0 else {
            throw fail(key, "an integer > 0")
        }
        return value
    }

    func number(_ key: String, allowZero: Bool = false) throws(EdgeError) -> Double {
        guard let number = values[key] as? NSNumber, number.doubleValue.isFinite,
              number.doubleValue > 0 || (allowZero && number.doubleValue == 0) else {
            throw fail(key, allowZero ? "a number >= 0" : "a number > 0")
        }
        return number.doubleValue
    }

    func object(_ key: String) throws(EdgeError) -> Fields {
        guard let value = values[key] as? [String: Any] else { throw fail(key, "an object") }
        return Fields(value, path: path, prefix: prefix + key + ".")
    }
}
