import Foundation

/// The terminal while `weir top` draws on it: the alternate screen, no cursor, keys read
/// one at a time without echo. `restore()` (also on Ctrl-C) gives the terminal back as
/// it was.
final class TerminalScreen {
    private var saved = termios()
    private var active = false

    init() {
        guard tcgetattr(0, &saved) == 0 else { return }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        tcsetattr(0, TCSANOW, &raw)
        active = true
        write("\u{1B}[?1049h\u{1B}[?25l")
    }

    /// Replaces the screen with `lines`, each cut to the terminal's width.
    func draw(_ lines: [String]) {
        var size = winsize()
        let columns = ioctl(1, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 200
        let rows = size.ws_row > 0 ? Int(size.ws_row) : 100
        var text = "\u{1B}[H"
        for line in lines.prefix(rows) { text += String(line.prefix(columns)) + "\u{1B}[K\n" }
        text += "\u{1B}[J"
        write(text)
    }

    /// Waits up to `seconds` for a key; returns it, or nil.
    func key(waiting seconds: Double) -> UInt8? {
        var poller = pollfd(fd: 0, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(seconds * 1000)) > 0 else { return nil }
        var byte: UInt8 = 0
        return read(0, &byte, 1) == 1 ? byte : nil
    }

    func restore() {
        guard active else { return }
        active = false
        write("\u{1B}[?25h\u{1B}[?1049l")
        tcsetattr(0, TCSANOW, &saved)
    }

    private func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
