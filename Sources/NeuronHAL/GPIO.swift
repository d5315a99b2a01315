/// The logical value of a GPIO line, as libgpiod names it. Active-low wiring lives in the board file and is
/// applied by the backend (a libgpiod line setting, or the simulated line), never by drivers or the loop.
public enum LineValue: Sendable, Hashable, BitwiseCopyable {
    case inactive, active
    @inlinable public init(_ isActive: Bool) { self = isActive ? .active : .inactive }
    @inlinable public var isActive: Bool { self == .active }
}

/// An output line (a libgpiod line request with direction output).
///
/// ## For backend authors
/// `set` returns once the line has the value (libgpiod `gpiod_line_request_set_value`); apply active-low here.
public protocol DigitalOutput {
    func set(_ value: LineValue) throws(HardwareError)
}

/// An input line with edge events (a libgpiod line request with direction input and edge detection).
///
/// ## For driver authors
/// `waitEdge(until:)` blocks the calling thread at most until `deadline` and returns the next edge, or `nil` at the
/// deadline. Timestamps come from the kernel (libgpiod event timestamp, CLOCK_MONOTONIC) so they do not include
/// the time the caller took to wake up.
///
/// ## For backend authors
/// Report edges in logical terms: with active-low, a falling electrical edge is `.rising` (to active).
public protocol DigitalInput {
    func get() throws(HardwareError) -> LineValue
    func waitEdge(until deadline: MonotonicInstant) throws(HardwareError) -> EdgeEvent?
}

/// An edge on an input line.
public struct EdgeEvent: Sendable, Hashable, BitwiseCopyable {
    public enum Kind: Sendable, Hashable, BitwiseCopyable { case rising, falling }
    public var kind: Kind
    public var timestamp: MonotonicInstant
    /// The kernel's per-line sequence number; a gap means events were lost.
    public var sequence: UInt64
    @inlinable public init(kind: Kind, timestamp: MonotonicInstant, sequence: UInt64) {
        self.kind = kind
        self.timestamp = timestamp
        self.sequence = sequence
    }
}
