import ArgumentParser
import Foundation
import NeuronLive
import NeuronSession

struct ViewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "view",
        abstract: "Play a recording back in the live view's page, with a time slider.",
        discussion: """
            A recording is the file `run`, `sense` or `network` write with --record FILE: the board, the protocol, \
            the exact trace of every channel, the pulses and the spikes. Open the printed address in a browser; \
            Ctrl-C stops the server. Loopback only unless --live names another address.
            """)

    @Argument(help: ArgumentHelp("A recording written with --record.", valueName: "file"))
    var recording: String

    @Option(help: ArgumentHelp("Serve the page on [HOST:]PORT (default 127.0.0.1:8080; 0.0.0.0:PORT for other machines).", valueName: "[host:]port"))
    var live = "127.0.0.1:8080"

    func validate() throws {
        if LiveEndpoint(live) == nil { throw ValidationError(LiveArguments.invalid(live)) }
    }

    func run() throws {
        let view: RecordingView
        do { view = try RecordingView(path: recording, endpoint: LiveEndpoint(live)!) } catch {
            printError(error.description)
            throw ExitCode(error.exitCode)
        }
        let r = view.recording
        // Written at once (not buffered): scripts wait for the address while the server runs.
        let text = "recording \(recording): board \(r.board.name), \(r.timeNs.count) samples x \(r.channels.count) channels, \(r.spikes.count) spikes\n"
            + "live view: \(view.server.url) (read-only; Ctrl-C stops)\n"
        FileHandle.standardOutput.write(Data(text.utf8))
        installStopHandlers()
        view.serve(until: processStop)
    }
}

/// `--live` without a value means the default address; ArgumentParser has no option with an optional value, so
/// the arguments are completed before parsing.
enum LiveArguments {
    static let standard = "127.0.0.1:8080"

    /// Inserts the default address after a `--live` that no address follows.
    static func complete(_ args: [String]) -> [String] {
        var out: [String] = []
        for (i, a) in args.enumerated() {
            out.append(a)
            guard a == "--live" else { continue }
            let next = i + 1 < args.count ? args[i + 1] : nil
            if next == nil || next!.hasPrefix("-") || LiveEndpoint(next!) == nil { out.append(standard) }
        }
        return out
    }

    static func invalid(_ text: String) -> String {
        "--live \(text): expected [HOST:]PORT with an IPv4 address and a port 0-65535, e.g. 8081 or 0.0.0.0:8080 (other machines)"
    }
}
