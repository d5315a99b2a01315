public import NeuronHAL
import Synchronization

/// One value of a sensor stream at a time relative to the start of the run.
public struct TimedValue: Sendable, Hashable {
    public var time: Duration
    public var value: Double
    public init(time: Duration, value: Double) {
        self.time = time
        self.value = value
    }
}

/// A value stream refused; names the source, the line (or datagram) and the fix.
public struct InputError: Error, Sendable, Hashable, CustomStringConvertible {
    public var source: String
    /// 1-based line in a file or stream; nil for a datagram or a whole-source problem.
    public var line: Int?
    public var problem: String
    public var fix: String
    public init(source: String, line: Int?, problem: String, fix: String) {
        self.source = source
        self.line = line
        self.problem = problem
        self.fix = fix
    }
    public var description: String { "\(source)\(line.map { ":\($0)" } ?? ""): \(problem) Fix: \(fix)" }
}

/// Where the encoder gets the current value.
///
/// Sample-and-hold: `value(at:)` is the last value whose time has come; nil before the first. `finished(at:)`
/// says the stream has nothing more to give after `time` (the run can end).
public protocol ValueFeed: AnyObject {
    func value(at time: Int64) -> Double?
    func finished(at time: Int64) -> Bool
}

/// Timestamped values known in advance: a CSV file, or standard input read to its end.
///
/// ## Format
/// ```
/// # comments and blank lines are ignored; an optional header line names the columns
/// time_s,value
/// 0.0,0.1
/// 0.5,0.8
/// ```
/// One `time_s,value` pair per line, seconds from the start of the run, non-decreasing. A line with a value only
/// (`0.8`) takes the previous time plus `interval` (the first such line is at 0 s), so a plain column of readings
/// works too. Values hold until the next one; the stream finishes `hold` after its last time.
public final class TimedValueFeed: ValueFeed {
    public let values: [TimedValue]
    public let hold: Duration
    private var next = 0
    private var current: Double?
    private let times: [Int64]

    public init(values: [TimedValue], hold: Duration) {
        self.values = values
        self.hold = hold
        times = values.map(\.time.nanosecondsValue)
    }

    public func value(at time: Int64) -> Double? {
        while next < times.count, times[next] <= time {
            current = values[next].value
            next += 1
        }
        return current
    }

    public func finished(at time: Int64) -> Bool {
        guard let last = times.last else { return true }
        return time >= last + hold.nanosecondsValue
    }

    /// The time the stream ends (last value + hold).
    public var end: Duration { (values.last?.time ?? .zero) + hold }

    /// Parses the CSV text of `source` (a file name, or "stdin"). `interval` spaces lines that carry a value only.
    public static func parseCSV(_ text: String, source: String, interval: Duration = .milliseconds(100)) throws(InputError) -> [TimedValue] {
        var out: [TimedValue] = []
        var lineNumber = 0
        var lastTime: Duration?
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw[...]
            let trimmed = line.trimmingSpaces()
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces() }
            if out.isEmpty, lastTime == nil, fields.contains(where: { Double($0) == nil && !$0.isEmpty }),
               fields.allSatisfy({ Double($0) == nil }) {
                continue  // a header line such as "time_s,value"
            }
            let time: Duration
            let valueText: Substring
            switch fields.count {
            case 1:
                time = lastTime.map { $0 + interval } ?? .zero
                valueText = fields[0]
            case 2:
                guard let t = Double(fields[0]), t.isFinite, t >= 0, t < 1e7 else {
                    throw InputError(source: source, line: lineNumber, problem: "'\(fields[0])' is not a time in seconds.",
                                     fix: "write 'time_s,value' with a time in seconds from the start, e.g. 0.25,0.8")
                }
                time = .seconds(t)
                valueText = fields[1]
            default:
                throw InputError(source: source, line: lineNumber, problem: "\(fields.count) fields; expected 'time_s,value' or 'value'.",
                                 fix: "one time and one value per line, comma-separated, e.g. 0.25,0.8")
            }
            guard let v = Double(valueText), v.isFinite else {
                throw InputError(source: source, line: lineNumber, problem: "'\(valueText)' is not a finite number.",
                                 fix: "write the value as a decimal number, e.g. 0.8 or 1.5e3")
            }
            if let lastTime, time < lastTime {
                throw InputError(source: source, line: lineNumber,
                                 problem: "time \(formatted(time.seconds, digits: 6)) s is before the previous line's \(formatted(lastTime.seconds, digits: 6)) s.",
                                 fix: "sort the lines by time (times must not decrease)")
            }
            lastTime = time
            out.append(TimedValue(time: time, value: v))
        }
        guard !out.isEmpty else {
            throw InputError(source: source, line: nil, problem: "no values.", fix: "give at least one 'time_s,value' line")
        }
        return out
    }
}

/// Values that arrive while the run goes on (UDP datagrams, live standard input): the latest one holds. A receiver
/// thread calls `post`, the loop calls `value(at:)` and `finished(at:)`: two atomics, so the loop's side is a load
/// that never locks, blocks or waits on the receiver (a lock here could put the real-time loop to sleep behind a
/// normal-priority thread holding it).
public final class LiveValueFeed: ValueFeed, Sendable {
    /// The latest value's bit pattern; NaN's (never a value: sources refuse non-finite numbers) until the first.
    private let latest = Atomic<UInt64>(LiveValueFeed.none)
    private let closed = Atomic<Bool>(false)
    private static let none = Double.nan.bitPattern

    public init() {}

    /// Receiver side. A non-finite value is refused by the parsers before it gets here; one that did is ignored.
    public func post(_ value: Double) {
        guard value.isFinite else { return }
        latest.store(value.bitPattern, ordering: .releasing)
    }

    /// No more values will come (the loop may end once the run's duration allows).
    public func close() { closed.store(true, ordering: .releasing) }

    public func value(at time: Int64) -> Double? {
        let bits = latest.load(ordering: .acquiring)
        return bits == Self.none ? nil : Double(bitPattern: bits)
    }

    public func finished(at time: Int64) -> Bool { closed.load(ordering: .acquiring) }
}

/// Parses one line of a live value stream (standard input while the run goes on): a number, or `time_s,value`
/// whose value is taken (live values are used when they arrive, not at their stamped time). Returns nil for lines
/// that carry nothing: blank, `#` comments, and a header on the first line. Pure; tested on its own.
public func parseLiveValueLine(_ raw: String, line: Int, source: String) throws(InputError) -> Double? {
    let text = Substring(raw).trimmingSpaces()
    if text.isEmpty || text.hasPrefix("#") { return nil }
    let field = text.split(separator: ",").last.map { $0.trimmingSpaces() } ?? text
    guard let v = Double(field), v.isFinite else {
        if line == 1 && Double(field) == nil { return nil }  // a header such as `time_s,value`
        throw InputError(source: source, line: line, problem: "'\(field.prefix(40))' is not a finite number.",
                         fix: "write one value per line, or `time_s,value`")
    }
    return v
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}

/// Parses one value datagram (see `UDPValueReceiver`): ASCII lines, each a decimal number; the last line wins.
/// Pure; tested on its own.
public func parseValueDatagram(_ bytes: [UInt8], sender: String) throws(InputError) -> Double {
    guard let text = String(validating: bytes, as: UTF8.self) else {
        throw InputError(source: "udp from \(sender)", line: nil, problem: "the datagram is not UTF-8 text (\(bytes.count) bytes).",
                         fix: "send the value as ASCII text, e.g. printf '0.8\\n'")
    }
    var last: Double?
    for raw in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
        let line = raw.trimmingSpaces()
        if line.isEmpty || line.hasPrefix("#") { continue }
        guard let v = Double(line), v.isFinite else {
            throw InputError(source: "udp from \(sender)", line: nil, problem: "'\(line.prefix(40))' is not a finite number.",
                             fix: "send one decimal number per line, e.g. printf '0.8\\n' | nc -u -q0 127.0.0.1 PORT")
        }
        last = v
    }
    guard let last else {
        throw InputError(source: "udp from \(sender)", line: nil, problem: "the datagram holds no value.",
                         fix: "send one decimal number per line")
    }
    return last
}

/// A sensor on the board read through its driver at most once per `period` of run time (on the grid 0, period, ...,
/// when the loop next asks for a value) (`neuronctl sense --input
/// sensor:NAME`): the latest reading holds between samples. A failed read keeps the previous value (counted in
/// `failedReads`, the last error in `lastError`); before the first good read there is no value. The stream has no
/// end: the run's duration ends it. Called on the loop thread only (the read is a bus transaction).
public final class SensorValueFeed: ValueFeed {
    public let period: Int64
    private let read: () throws(HardwareError) -> Double
    private var nextSample: Int64 = 0
    private var current: Double?
    public private(set) var readings = 0
    public private(set) var failedReads = 0
    public private(set) var lastError: HardwareError?

    public init(period: Duration, read: @escaping () throws(HardwareError) -> Double) {
        precondition(period > .zero, "a sensor feed needs a positive period")
        self.period = period.nanosecondsValue
        self.read = read
    }

    public func value(at time: Int64) -> Double? {
        if time >= nextSample {
            do {
                current = try read()
                readings += 1
            } catch {
                failedReads += 1
                lastError = error
            }
            nextSample = (time / period + 1) * period  // on the grid of periods, so reads do not drift
        }
        return current
    }

    public func finished(at time: Int64) -> Bool { false }
}
