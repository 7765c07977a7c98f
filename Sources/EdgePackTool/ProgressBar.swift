import Foundation

/// A one-line progress bar on standard error, redrawn in place ("calibrating ranges
/// [#######.............] 90/256"); only drawn when standard error is a terminal.
enum ProgressBar {
    static func draw(_ pass: String, _ done: Int, _ total: Int) {
        let width = 30
        let filled = total > 0 ? width * done / total : width
        var line = "\rcalibrating \(pass) [" + String(repeating: "#", count: filled) +
            String(repeating: ".", count: width - filled) + "] \(done)/\(total)"
        if done == total { line += "\r" + String(repeating: " ", count: line.count) + "\r" }
        FileHandle.standardError.write(Data(line.utf8))
    }
}
