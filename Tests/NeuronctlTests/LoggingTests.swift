// The diagnostics handler in process: the interactive lines are the ones the CLI always printed, and under systemd
// each event is one journal line with its syslog priority.

import Logging
@testable import neuronctl
import Synchronization
import Testing

@Suite struct LoggingTests {
    @Test(arguments: [
        (Logger.Level.critical, "error: ", 2), (.error, "error: ", 3), (.warning, "warning: ", 4), (.notice, "note: ", 5),
        (.info, "", 6), (.debug, "", 7), (.trace, "", 7),
    ])
    func levelsHaveTheirLabelAndPriority(level: Logger.Level, label: String, priority: Int) {
        #expect(DiagnosticLogHandler.line(level: level, message: "the DAC did not answer", format: .text)
            == label + "the DAC did not answer\n")
        #expect(DiagnosticLogHandler.line(level: level, message: "the DAC did not answer", format: .journal)
            == "<\(priority)>the DAC did not answer\n")
    }

    @Test func aMultiLineMessageIsOneJournalLine() {
        let message = "plotting failed (exit 1); the CSV files are written.\nTraceback:\r\n  line 3\n"
        let line = DiagnosticLogHandler.line(level: .notice, message: message, format: .journal)
        #expect(line == "<5>plotting failed (exit 1); the CSV files are written.\\nTraceback:\\n  line 3\\n\n")
        #expect(line.filter { $0 == "\n" }.count == 1)
        // At a terminal the message keeps its lines.
        #expect(DiagnosticLogHandler.line(level: .notice, message: message, format: .text) == "note: " + message + "\n")
    }

    @Test func theTagReplacesTheLabelAndMetadataFollowsTheMessage() {
        let meta: Logger.Metadata = [DiagnosticLogHandler.tagKey: "supervisor", "pid": "42", "board": "mock"]
        #expect(DiagnosticLogHandler.line(level: .error, message: "safe state not confirmed", metadata: meta, format: .text)
            == "supervisor: safe state not confirmed board=mock pid=42\n")
        #expect(DiagnosticLogHandler.line(level: .error, message: "safe state not confirmed", metadata: meta, format: .journal)
            == "<3>supervisor: safe state not confirmed board=mock pid=42\n")
    }

    @Test func aLoggerWritesOneLinePerEvent() {
        let lines = Mutex<[String]>([])
        let logger = Logger(label: "test") { _ in DiagnosticLogHandler(format: .journal) { line in lines.withLock { $0.append(line) } } }
        logger.error("bus fault on /dev/i2c-1")
        logger.warning("real-time: SCHED_FIFO refused")
        logger.debug("below the default level: not written")
        #expect(lines.withLock { $0 } == ["<3>bus fault on /dev/i2c-1\n", "<4>real-time: SCHED_FIFO refused\n"])
    }

    @Test func theJournalIsDetectedOnlyWhenStandardErrorIsItsStream() {
        #expect(DiagnosticFormat.detect(environment: [:], standardErrorIdentity: "8:1234") == .text)
        #expect(DiagnosticFormat.detect(environment: ["JOURNAL_STREAM": "8:1234"], standardErrorIdentity: "8:1234") == .journal)
        // Inherited by a child whose standard error goes elsewhere (a file, a terminal).
        #expect(DiagnosticFormat.detect(environment: ["JOURNAL_STREAM": "8:1234"], standardErrorIdentity: "8:999") == .text)
        #expect(DiagnosticFormat.detect(environment: ["JOURNAL_STREAM": "8:1234"], standardErrorIdentity: nil) == .text)
        #expect(DiagnosticFormat.detect(environment: ["NEURONHIL_LOG_FORMAT": "journal"], standardErrorIdentity: nil) == .journal)
        #expect(DiagnosticFormat.detect(environment: ["NEURONHIL_LOG_FORMAT": "text", "JOURNAL_STREAM": "8:1"],
                                        standardErrorIdentity: "8:1") == .text)
    }

    @Test func fileIdentityIsDeviceColonInode() throws {
        let identity = try #require(DiagnosticFormat.fileIdentity(2))
        let parts = identity.split(separator: ":")
        #expect(parts.count == 2 && parts.allSatisfy { UInt64($0) != nil }, "\(identity)")
        #expect(DiagnosticFormat.fileIdentity(-1) == nil)
    }
}
