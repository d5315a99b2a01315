import Foundation
import Logging

// Diagnostics (errors, warnings, notes, the supervisor's report) go to standard error through swift-log, one line
// per event. At a terminal they read as they always have ("error: ...", "warning: ..."). Under systemd, where
// standard error is a journal stream, each line starts with its syslog priority ("<3>..."), which journald strips
// and keeps as the entry's level (sd-daemon(3)), so `journalctl -p warning` finds them. The run summary on standard
// output is not a diagnostic and is untouched.

/// How diagnostics are written.
enum DiagnosticFormat: Equatable, Sendable {
    /// `error: message`, for a person at a terminal or a log file.
    case text
    /// `<3>message`: syslog priority prefixes that journald reads as levels.
    case journal

    /// `journal` when standard error is the journal stream systemd set up: JOURNAL_STREAM holds the device and
    /// inode of that stream, and a child whose standard error was redirected keeps the variable but not the stream,
    /// so both must match (systemd.exec(5)). `NEURONHIL_LOG_FORMAT=journal|text` overrides the detection.
    static func detect(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        standardErrorIdentity: String? = fileIdentity(STDERR_FILENO)
    ) -> DiagnosticFormat {
        switch environment["NEURONHIL_LOG_FORMAT"] {
        case "journal": return .journal
        case "text": return .text
        default: break
        }
        guard let stream = environment["JOURNAL_STREAM"], let identity = standardErrorIdentity else { return .text }
        return stream == identity ? .journal : .text
    }

    /// "DEVICE:INODE" of an open descriptor, as JOURNAL_STREAM writes it.
    static func fileIdentity(_ fd: Int32) -> String? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        return "\(st.st_dev):\(st.st_ino)"
    }
}

/// Writes each event as one line on standard error (or to `write`, in tests).
struct DiagnosticLogHandler: LogHandler {
    /// Metadata key that replaces the level's label in the text format (`supervisor: ...` rather than `note: ...`).
    static let tagKey = "tag"

    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    let format: DiagnosticFormat
    let write: @Sendable (String) -> Void

    init(format: DiagnosticFormat, write: @escaping @Sendable (String) -> Void = DiagnosticLogHandler.writeToStandardError) {
        self.format = format
        self.write = write
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        write(Self.line(level: event.level, message: event.message.description, metadata: merged, format: format))
    }

    /// The line written for one event, newline included.
    static func line(level: Logger.Level, message: String, metadata: Logger.Metadata = [:], format: DiagnosticFormat) -> String {
        var tag: String?
        if case .string(let t)? = metadata[tagKey] { tag = t }
        let rest = metadata.filter { $0.key != tagKey }.sorted { $0.key < $1.key }
        var text = message
        if !rest.isEmpty { text += " " + rest.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
        switch format {
        case .text:
            let label = tag.map { $0 + ": " } ?? textLabel(level)
            return label + text + "\n"
        case .journal:
            // journald starts a new entry at each newline: one event stays one entry.
            let oneLine = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }.joined(separator: "\\n")
            let tagged = tag.map { $0 + ": " + oneLine } ?? oneLine
            return "<\(syslogPriority(level))>" + tagged + "\n"
        }
    }

    /// The interactive prefix of each level.
    static func textLabel(_ level: Logger.Level) -> String {
        switch level {
        case .critical, .error: "error: "
        case .warning: "warning: "
        case .notice: "note: "
        case .info, .debug, .trace: ""
        }
    }

    /// syslog(3) priorities: LOG_CRIT 2, LOG_ERR 3, LOG_WARNING 4, LOG_NOTICE 5, LOG_INFO 6, LOG_DEBUG 7.
    static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .critical: 2
        case .error: 3
        case .warning: 4
        case .notice: 5
        case .info: 6
        case .debug, .trace: 7
        }
    }

    /// One write(2) per line, so lines of concurrent threads never interleave.
    @Sendable static func writeToStandardError(_ line: String) {
        FileHandle.standardError.write(Data(line.utf8))
    }
}

/// The CLI's diagnostics logger. Built with its own handler rather than `LoggingSystem.bootstrap`, so the test
/// process (which links this module) needs no bootstrap and cannot bootstrap twice.
let diagnostics = Logger(label: "neuronctl") { _ in DiagnosticLogHandler(format: .detect()) }

/// An error the command reports before it exits non-zero.
func printError(_ message: String) {
    diagnostics.error("\(message)")
}

/// A setting the system refused or a condition that weakens real time: the run goes on, so it is a warning, not an
/// error.
func printWarning(_ message: String) {
    diagnostics.warning("\(message)")
}

/// A note (not an error: the command still succeeds).
func printNote(_ message: String) {
    diagnostics.notice("\(message)")
}

/// A line of `supervise`'s report: `supervisor: ...` at a terminal, at `level` in the journal.
func printSupervisor(_ message: String, level: Logger.Level = .info) {
    diagnostics.log(level: level, "\(message)", metadata: [DiagnosticLogHandler.tagKey: "supervisor"])
}
