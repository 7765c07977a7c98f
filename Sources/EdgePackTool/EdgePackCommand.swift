import ArgumentParser
import EdgeFormat
import Foundation

/// `edgepack`: the host-side model packer.
@main
struct EdgePackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edgepack",
        abstract: "Pack ONNX models into model.bin files for the EdgeRun runtime.",
        discussion: """
            Start with `edgepack pack --help`. A typical session:

              edgepack pack digits_cnn/model.onnx -o digits_cnn.bin \\
                  --labels digits_cnn/labels.txt
              edgepack inspect digits_cnn.bin
              edgerun digits_cnn.bin --input digits_cnn/sample_0.npy

            Exit codes:
              0  success
              1  over a board's budget (check, pack --board)
              2  a usage, input or model error, explained on one line of
                 standard error: the object, the bad value, the fix
            """,
        version: "0.1.0",
        subcommands: [Pack.self, Inspect.self, Check.self])

    /// Like `ParsableCommand.main()`, but with EdgeRun's exit codes: every usage, input or
    /// packing error exits with 2 after one line on standard error.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as EdgeError {
            fail("edgepack: error: \(error.message)")
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            fail("edgepack: error: \(message(for: error)) (see 'edgepack help')")
        }
    }

    static func fail(_ line: String) -> Never {
        FileHandle.standardError.write(Data((line + "\n").utf8))
        Foundation.exit(2)
    }
}

/// Options every subcommand takes.
struct CommonOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    func say(_ text: String) {
        if !quiet { print(text) }
    }
}
