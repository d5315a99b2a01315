public import NeuronHAL
public import Testing

// What every scripted bus shares (`ScriptedI2CBus`, `ScriptedSPIDevice`): the script, the transcript of what the
// driver did, the check of each transfer against the next expectation, the "all consumed" check at the end
// (swift-nio `EmbeddedChannel.finish()`) and the expected/actual reports at the caller's source location (swift-mmio
// `assertMMIOInterposerTrace`). A scripted bus keeps only what is specific to it: the shape of its expectations and
// transfers, how they are compared and printed, and the `HardwareError` device name.

/// One step of a bus script: what the driver must do, and the answer.
public protocol ScriptStep: Sendable, CustomStringConvertible {
    /// What the driver actually did on the bus (recorded in the transcript whether or not it matched).
    associatedtype Transfer: ScriptedTransfer
    /// The bytes the bus answers with; the verifier copies them into the driver's read buffer.
    var reply: [UInt8] { get }
    /// When set, the bus throws a `HardwareError` of this kind instead of answering (the step still counts as
    /// consumed, as a NAK or a bus fault on real hardware ends the transfer).
    var failure: HardwareError.Kind? { get }
    /// Nil when `transfer` is what this step expects; otherwise what differs, for the report (e.g. "address differs:
    /// expected 0x60, got 0x61"). When it returns nil, `transfer` must ask for exactly `reply.count` bytes.
    func mismatch(with transfer: Transfer) -> String?
}

/// A transfer recorded by a scripted bus.
public protocol ScriptedTransfer: Sendable, CustomStringConvertible {
    /// What the bus answered (empty when it threw, or before it answered).
    var reply: [UInt8] { get set }
}

/// How a scripted bus names itself and its transfers in reports and errors.
public struct ScriptVocabulary: Sendable, Hashable {
    /// Starts every report, e.g. "Scripted I2C bus".
    public var title: String
    /// One transfer and several, e.g. "transaction" / "transactions".
    public var transfer: String
    public var transfers: String
}

/// Checks a bus's traffic against a script of `Step`s: each transfer against the next step, then, at `finish()`,
/// that every step was consumed.
///
/// A transfer that does not match is recorded as a test issue (expected, actual, what differs, and the transcript)
/// at the source location the verifier was made with, and throws `HardwareError(.protocolViolation)`, so the driver
/// stops as it would on a confused bus; after the first mismatch every further transfer throws too, without more
/// issues, so one mistake gives one report.
///
/// Not thread-safe and not `Sendable`: one test owns it (through its scripted bus).
public final class ScriptVerifier<Step: ScriptStep> {
    public let script: [Step]
    /// How many steps have been consumed.
    public private(set) var consumed = 0
    /// Every transfer the driver performed, in order (matching or not).
    public private(set) var transcript: [Step.Transfer] = []
    /// True once a transfer failed to match the script.
    public private(set) var mismatched = false
    public let vocabulary: ScriptVocabulary
    private let sourceLocation: SourceLocation
    private var finished = false

    public init(_ script: [Step], vocabulary: ScriptVocabulary, sourceLocation: SourceLocation) {
        self.script = script
        self.vocabulary = vocabulary
        self.sourceLocation = sourceLocation
    }

    /// The steps not consumed yet.
    public var remaining: ArraySlice<Step> { script[consumed...] }

    /// Records `transfer`, checks it against the next step and answers it: the step's reply goes into `read` (and
    /// into the transcript), or its failure is thrown. `device` names the bus in every `HardwareError`.
    public func perform(
        _ transfer: Step.Transfer, device: String, into read: UnsafeMutableRawBufferPointer
    ) throws(HardwareError) {
        transcript.append(transfer)
        let operation = "scripted \(vocabulary.transfer)"
        func violation(_ problem: String) -> HardwareError {
            HardwareError(.protocolViolation, "\(vocabulary.transfer) \(problem)", device: device, operation: operation)
        }
        if mismatched { throw violation("after a script mismatch") }
        guard consumed < script.count else {
            mismatched = true
            report("unexpected \(vocabulary.transfer) after the end of the script",
                   expected: "(nothing)", actual: transfer.description)
            throw violation("beyond the end of the script")
        }
        let expected = script[consumed]
        if let difference = expected.mismatch(with: transfer) {
            mismatched = true
            report("\(vocabulary.transfer) \(consumed + 1) of \(script.count) does not match the script",
                   expected: expected.description, actual: transfer.description, note: difference)
            throw violation("does not match the script")
        }
        consumed += 1
        if let failure = expected.failure {
            throw HardwareError(failure, "scripted failure", device: device, operation: operation)
        }
        precondition(expected.reply.count == read.count, "ScriptStep.mismatch(with:) accepted a transfer of another length")
        for (i, byte) in expected.reply.enumerated() { read[i] = byte }
        transcript[transcript.count - 1].reply = expected.reply
    }

    /// Records an issue listing every step left unconsumed (unless a mismatch was already reported).
    /// Returns true when the script was consumed exactly. Idempotent.
    @discardableResult
    public func finish() -> Bool {
        if finished { return !mismatched && consumed == script.count }
        finished = true
        if mismatched { return false }
        guard consumed == script.count else {
            let left = remaining.enumerated().map { "  \(consumed + $0.offset + 1). \($0.element)" }
            Issue.record(
                Comment(rawValue: """
                    \(vocabulary.title): \(script.count - consumed) of \(script.count) expected \
                    \(vocabulary.transfers) never happened:
                    \(left.joined(separator: "\n"))
                    Transcript:
                    \(transcriptText)
                    """),
                sourceLocation: sourceLocation)
            return false
        }
        return true
    }

    private var transcriptText: String {
        transcript.isEmpty
            ? "  (no \(vocabulary.transfers))"
            : transcript.enumerated().map { "  \($0.offset + 1). \($0.element)" }.joined(separator: "\n")
    }

    private func report(_ problem: String, expected: String, actual: String, note: String? = nil) {
        var text = "\(vocabulary.title): \(problem)\n  expected: \(expected)\n  actual:   \(actual)"
        if let note { text += "\n  \(note)" }
        text += "\nTranscript:\n\(transcriptText)"
        Issue.record(Comment(rawValue: text), sourceLocation: sourceLocation)
    }
}

/// A bus or device that answers from a script through a `ScriptVerifier`; gives it the script's state and
/// `finish()`.
public protocol ScriptedBus: AnyObject {
    associatedtype Step: ScriptStep
    var verifier: ScriptVerifier<Step> { get }
}

extension ScriptedBus {
    public var script: [Step] { verifier.script }
    /// How many expectations have been consumed.
    public var consumed: Int { verifier.consumed }
    /// The expectations not consumed yet.
    public var remaining: ArraySlice<Step> { verifier.remaining }
    /// Every transfer the driver performed, in order (matching or not).
    public var transcript: [Step.Transfer] { verifier.transcript }
    /// True once a transfer failed to match the script.
    public var mismatched: Bool { verifier.mismatched }

    /// Records an issue for every expectation left unconsumed (unless a mismatch was already reported).
    /// Returns true when the script was consumed exactly. Idempotent.
    @discardableResult
    public func finish() -> Bool { verifier.finish() }
}

/// Runs `body` with `bus`, then checks that its whole script was consumed (`withScriptedI2C`, `withScriptedSPI`).
func withFinishing<Bus: ScriptedBus, R, E: Error>(_ bus: Bus, _ body: (Bus) throws(E) -> R) throws(E) -> R {
    defer { bus.finish() }
    return try body(bus)
}

/// Nil when the bytes are equal; otherwise "<what> differ at index i (expected 0x.., got 0x..)".
func byteDifference(_ what: String, expected: [UInt8], actual: [UInt8]) -> String? {
    for i in 0..<max(expected.count, actual.count)
    where i >= expected.count || i >= actual.count || expected[i] != actual[i] {
        return "\(what) differ at index \(i) (expected \(byteAt(expected, i)), got \(byteAt(actual, i)))"
    }
    return nil
}

private func byteAt(_ bytes: [UInt8], _ i: Int) -> String { i < bytes.count ? hex(bytes[i]) : "nothing" }

/// `[0x2a 0xbc]`, the form every scripted-bus diff prints bytes in.
public func hexBytes(_ bytes: [UInt8]) -> String {
    "[" + bytes.map { hex($0) }.joined(separator: " ") + "]"
}
