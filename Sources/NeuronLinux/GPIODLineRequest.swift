import CGPIOD
public import NeuronHAL

/// One GPIO line requested through libgpiod (1.6 or 2.x, through the CGPIOD shim): the libgpiod request flow
/// (line settings → line config → request config with a consumer → one request object owning the file
/// descriptor), for one line.
///
/// Values are logical: `active-low` from the board file is a line setting, so the kernel inverts both values and
/// edges and neither drivers nor the loop ever do. Edge timestamps are the kernel's, on `CLOCK_MONOTONIC` (the same
/// clock as `LinuxClock`), taken in the interrupt handler, so they do not include the time the caller took to wake.
///
/// The request is released when the object is released (or by `release()`); the line then keeps its last value.
/// Not thread-safe and not `Sendable` (libgpiod is "thread-aware", not thread-safe): the loop thread owns it.
public final class GPIODLineRequest: DigitalOutput, DigitalInput {
    /// Which line on the chip: its name (as `gpioinfo` prints it, `GPIO27` on a Pi) or its offset.
    public enum Line: Sendable, Hashable, CustomStringConvertible {
        case name(String), offset(Int)
        public var description: String {
            switch self {
            case .name(let n): return n
            case .offset(let o): return "offset \(o)"
            }
        }
    }
    public enum Direction: Sendable, Hashable { case input, output }
    public enum Edge: Sendable, Hashable { case none, rising, falling, both }
    public enum Bias: Sendable, Hashable { case asIs, disabled, pullUp, pullDown }

    /// How to request the line (libgpiod line settings).
    public struct Settings: Sendable, Hashable {
        public var direction: Direction
        public var edge: Edge
        public var bias: Bias
        public var activeLow: Bool
        /// Outputs: the logical value the line takes when requested.
        public var initial: LineValue
        public init(direction: Direction, edge: Edge = .none, bias: Bias = .asIs, activeLow: Bool = false, initial: LineValue = .inactive) {
            self.direction = direction
            self.edge = edge
            self.bias = bias
            self.activeLow = activeLow
            self.initial = initial
        }
    }

    /// The chip's device node, resolved (`/dev/gpiochip0`).
    public let chipPath: String
    /// The line's offset on the chip.
    public let offset: Int
    public let settings: Settings
    /// `chip line (consumer)`, for errors.
    public let deviceName: String
    private var handle: OpaquePointer?

    /// Resolves the chip (node name, path, number or label such as `pinctrl-rp1`), finds the line and requests it.
    public init(chip: String, line: Line, consumer: String, settings: Settings) throws(HardwareError) {
        let (resolved, path) = Syscalls.gpiodResolveChip(chip)
        guard !resolved.failed else {
            throw Syscalls.error(.gpio, errno: resolved.errno, device: chip, operation: "open GPIO chip")
        }
        chipPath = path
        offset = try Self.offset(of: line, chipPath: path)
        self.settings = settings
        deviceName = "\(path) line \(offset) (\(line), \(consumer))"
        var s = cgpiod_line_settings()
        s.offset = UInt32(offset)
        s.direction = settings.direction == .output ? Int32(CGPIOD_DIRECTION_OUTPUT) : Int32(CGPIOD_DIRECTION_INPUT)
        switch settings.edge {
        case .none: s.edge = Int32(CGPIOD_EDGE_NONE)
        case .rising: s.edge = Int32(CGPIOD_EDGE_RISING)
        case .falling: s.edge = Int32(CGPIOD_EDGE_FALLING)
        case .both: s.edge = Int32(CGPIOD_EDGE_BOTH)
        }
        switch settings.bias {
        case .asIs: s.bias = Int32(CGPIOD_BIAS_AS_IS)
        case .disabled: s.bias = Int32(CGPIOD_BIAS_DISABLED)
        case .pullUp: s.bias = Int32(CGPIOD_BIAS_PULL_UP)
        case .pullDown: s.bias = Int32(CGPIOD_BIAS_PULL_DOWN)
        }
        s.active_low = settings.activeLow ? 1 : 0
        s.initial_active = settings.initial.isActive ? 1 : 0
        let (requested, handle) = Syscalls.gpiodRequestLine(path, consumer: consumer, settings: s)
        guard !requested.failed else {
            throw Syscalls.error(.gpio, errno: requested.errno, device: deviceName, operation: "request line")
        }
        self.handle = handle
    }

    deinit { release() }

    /// Releases the line now (otherwise on deinit).
    public func release() {
        guard let h = handle else { return }
        handle = nil
        Syscalls.gpiodRelease(h)
    }

    /// The offset of `line` on the chip at `chipPath` (a name is looked up, as `gpiofind` does).
    public static func offset(of line: Line, chipPath: String) throws(HardwareError) -> Int {
        switch line {
        case .offset(let o): return o
        case .name(let name):
            let found = Syscalls.gpiodFindLine(chipPath, name)
            guard !found.failed else {
                throw Syscalls.error(.gpio, errno: found.errno, device: "\(chipPath) line \(name)", operation: "find line by name")
            }
            return Int(found.value)
        }
    }

    // MARK: DigitalOutput

    public func set(_ value: LineValue) throws(HardwareError) {
        precondition(settings.direction == .output, "set on an input line")
        let r = Syscalls.gpiodSetValue(checkedHandle, value.isActive)
        guard !r.failed else { throw Syscalls.error(.gpio, errno: r.errno, device: deviceName, operation: "set value") }
    }

    // MARK: DigitalInput

    public func get() throws(HardwareError) -> LineValue {
        let r = Syscalls.gpiodGetValue(checkedHandle)
        guard !r.failed else { throw Syscalls.error(.gpio, errno: r.errno, device: deviceName, operation: "get value") }
        return LineValue(r.value != 0)
    }

    /// Waits for the next edge until `deadline` (CLOCK_MONOTONIC); `nil` at the deadline. A queued edge is returned
    /// even when the deadline has passed. EINTR: the wait is resumed with the time left.
    public func waitEdge(until deadline: MonotonicInstant) throws(HardwareError) -> EdgeEvent? {
        precondition(settings.direction == .input && settings.edge != .none, "waitEdge on a line without edge detection")
        let h = checkedHandle
        while true {
            let remaining = max(0, deadline.nanoseconds - Syscalls.monotonicNow())
            let waited = Syscalls.gpiodWaitEvent(h, timeoutNanoseconds: remaining)
            if waited.failed {
                if waited.errno == EINTR_VALUE { continue }
                throw Syscalls.error(.gpio, errno: waited.errno, device: deviceName, operation: "wait for edge events")
            }
            if waited.value == 0 {
                if remaining == 0 { return nil }
                continue  // woke early (spurious); the loop re-checks the deadline
            }
            var event = cgpiod_edge_event()
            let read = Syscalls.gpiodReadEvent(h, &event)
            guard !read.failed else {
                throw Syscalls.error(.gpio, errno: read.errno, device: deviceName, operation: "read edge event")
            }
            return EdgeEvent(
                kind: event.rising != 0 ? .rising : .falling,
                timestamp: MonotonicInstant(nanoseconds: Int64(bitPattern: event.timestamp_ns)),
                sequence: event.line_seqno)
        }
    }

    private var checkedHandle: OpaquePointer? {
        precondition(handle != nil, "use of a released GPIODLineRequest")
        return handle
    }
}

/// What the installed libgpiod is: `api` 1 or 2 (the CGPIOD branch compiled) and the library's version string.
public enum GPIODLibrary {
    public static var api: Int { Syscalls.gpiodLibrary().api }
    public static var version: String { Syscalls.gpiodLibrary().version }
}

/// Facts about a GPIO chip and its lines, for probing (`neuronctl probe`).
public enum GPIODChipInfo {
    /// The resolved node path, name, label and line count of `chip` (a node name, path, number or label).
    public static func chip(_ chip: String) throws(HardwareError) -> (path: String, name: String, label: String, lines: Int) {
        let (resolved, path) = Syscalls.gpiodResolveChip(chip)
        guard !resolved.failed else {
            throw Syscalls.error(.gpio, errno: resolved.errno, device: chip, operation: "open GPIO chip")
        }
        let info = Syscalls.gpiodChipInfo(path)
        guard !info.0.failed else { throw Syscalls.error(.gpio, errno: info.0.errno, device: path, operation: "chip info") }
        return (path, info.name, info.label, info.lines)
    }

    /// The name, consumer and use of the line at `offset`.
    public static func line(chipPath: String, offset: Int) throws(HardwareError) -> (name: String, consumer: String, used: Bool) {
        let info = Syscalls.gpiodLineInfo(chipPath, UInt32(offset))
        guard !info.0.failed else {
            throw Syscalls.error(.gpio, errno: info.0.errno, device: "\(chipPath) line \(offset)", operation: "line info")
        }
        return (info.name, info.consumer, info.used)
    }
}
