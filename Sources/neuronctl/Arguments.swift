import ArgumentParser
import NeuronHAL
import NeuronPhysics
import NeuronControl
import NeuronSinks

/// A number with an optional unit suffix, e.g. "0.75", "750mV", "5ms", "33Hz", "10k".
struct Quantity {
    /// SI value in the quantity's base unit (V, s, Hz).
    var value: Double

    /// Parses `text` whose unit must be one of `units` (suffix → factor to the base unit); a bare number takes
    /// `defaultFactor`.
    static func parse(_ text: String, units: [(String, Double)], defaultFactor: Double) -> Double? {
        let t = text.trimmingCharacters(in: " ")
        // Longest suffix first so "ms" wins over "s".
        for (suffix, factor) in units.sorted(by: { $0.0.count > $1.0.count }) where !suffix.isEmpty && t.hasSuffix(suffix) {
            guard let v = Double(String(t.dropLast(suffix.count))), v.isFinite else { return nil }
            return v * factor
        }
        guard let v = Double(t), v.isFinite else { return nil }
        return v * defaultFactor
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}

/// `--amplitude 0.75` or `750mV`.
struct VoltageArgument: ExpressibleByArgument, Sendable {
    var voltage: Voltage
    init?(argument: String) {
        guard let v = Quantity.parse(argument, units: [("mV", 1e-3), ("V", 1)], defaultFactor: 1) else { return nil }
        voltage = .volts(v)
    }
    init(_ v: Voltage) { voltage = v }
    var defaultValueDescription: String { formatted(voltage.volts, digits: 2) + " V" }
}

/// A duration; bare numbers are in `Unit.defaultFactor` (milliseconds for widths, seconds for run durations).
struct DurationArgument<Unit: DefaultUnit>: ExpressibleByArgument, Sendable {
    var duration: Duration
    init?(argument: String) {
        guard let s = Quantity.parse(argument, units: [("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1)],
                                     defaultFactor: Unit.factor), s >= 0, s < 1e7 else { return nil }
        duration = .seconds(s)
    }
    init(_ d: Duration) { duration = d }
    var defaultValueDescription: String { Unit.describe(duration) }
}

protocol DefaultUnit: Sendable {
    static var factor: Double { get }
    static func describe(_ d: Duration) -> String
}
enum Milliseconds: DefaultUnit {
    static let factor = 1e-3
    static func describe(_ d: Duration) -> String { formatted(d.seconds * 1e3, digits: 1) + " ms" }
}
enum Microseconds: DefaultUnit {
    static let factor = 1e-6
    static func describe(_ d: Duration) -> String { formatted(d.seconds * 1e6, digits: 0) + " us" }
}
enum Seconds: DefaultUnit {
    static let factor = 1.0
    static func describe(_ d: Duration) -> String { formatted(d.seconds, digits: 1) + " s" }
}

/// `--frequency 33`, `33Hz`, `10kHz`, `10k`.
struct FrequencyArgument: ExpressibleByArgument, Sendable {
    var frequency: Frequency
    init?(argument: String) {
        // 1 mHz ... 1 GHz: anything else is a typo, and a period must fit in a Duration (1e-300 Hz trapped).
        guard let f = Quantity.parse(argument, units: [("kHz", 1e3), ("Hz", 1), ("k", 1e3)], defaultFactor: 1),
              f >= 0.001, f <= 1e9
        else { return nil }
        frequency = .hertz(f)
    }
    init(_ f: Frequency) { frequency = f }
    var defaultValueDescription: String { formatted(frequency.hertz, digits: 0) + " Hz" }
}

/// `--model device|paper|deterministic`.
enum ModelOption: String, ExpressibleByArgument, CaseIterable, Sendable {
    case device, paper, deterministic
    var kind: NeuronModelKind { NeuronModelKind(rawValue: rawValue)! }
}

/// `--trace-format csv|npy`.
enum TraceFormatOption: String, ExpressibleByArgument, CaseIterable, Sendable {
    case csv, npy
    var format: TraceFormat {
        switch self {
        case .csv: .csv
        case .npy: .npy
        }
    }
}

/// `--udp HOST:PORT`.
struct UDPDestination {
    var host: String
    var port: UInt16
    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let host = String(text[..<colon]), portText = String(text[text.index(after: colon)...])
        guard let port = UInt16(portText), port > 0 else { return nil }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts.allSatisfy({ UInt8($0) != nil }) else { return nil }
        self.host = host
        self.port = port
    }
}

/// `--overrun-policy carry-on | safe-state:N`.
struct OverrunPolicyArgument: ExpressibleByArgument, Sendable {
    var policy: OverrunPolicy
    init(_ p: OverrunPolicy) { policy = p }
    init?(argument: String) {
        if argument == "carry-on" { policy = .carryOn; return }
        guard argument.hasPrefix("safe-state:"), let n = Int(argument.dropFirst("safe-state:".count)), n >= 1 else { return nil }
        policy = .safeStateAfter(n)
    }
    var defaultValueDescription: String { "carry-on" }
}
