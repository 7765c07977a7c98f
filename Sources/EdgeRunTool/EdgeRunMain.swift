import EdgeFormat
import EdgeRuntime

/// Process entry point. SwiftPM links executables with `--defsym main=<module>_main`; defining
/// that symbol here (instead of top-level code) hands us argc/argv, which Embedded Swift has no
/// `CommandLine` for.
@_cdecl("EdgeRunTool_main")
func edgerunMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    var words: [String] = []
    for i in 1..<Int(argc) { words.append(String(cString: argv[i]!)) }
    var arguments = Arguments(words)
    do {
        return try dispatch(&arguments)
    } catch {
        Platform.write("edgerun: error: \(error.message)\n", to: 2)
        return error.exitCode
    }
}

private func dispatch(_ args: inout Arguments) throws(EdgeError) -> Int32 {
    guard let first = args.peek() else {
        Platform.write(Help.usage, to: 2)
        return 2
    }
    if first.is("--help") || first.is("-h") || first.is("help") {
        Platform.write(Help.text, to: 1)
        return 0
    }
    if first.is("--version") {
        Platform.write("edgerun \(Help.version) (model.bin format \(FormatV1.majorVersion).\(FormatV1.minorVersion))\n", to: 1)
        return 0
    }
    if first.is("info") {
        args.advance()
        return try InfoCommand.run(&args)
    }
    if first.is("bench") {
        args.advance()
        return try BenchCommand.run(&args)
    }
    if first.is("watch") {
        args.advance()
        return try WatchCommand.run(&args)
    }
    if first.is("run") { args.advance() }
    return try RunCommand.run(&args)
}
