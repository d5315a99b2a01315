/// The one error type of every HAL requirement (`throws(HardwareError)`): concrete, so the real-time path has no
/// existential boxing, and rich enough that a person at a probe station knows which wire to check.
///
/// Shape after swift-nio's `FileSystemError`: a kind, a message, the device, the operation, the errno and where it
/// was thrown. `Kind` uses embedded-hal's I2C/SPI vocabulary; the Linux backend maps errno onto it in one table.
public struct HardwareError: Error, Sendable, Hashable, CustomStringConvertible {
    public var kind: Kind
    public var message: String
    /// The device, e.g. `"/dev/i2c-1 @ 0x48"` or `"sim:i2c1 @ 0x60"`.
    public var device: String
    /// The operation, e.g. `"ioctl(I2C_RDWR)"`, `"write DAC register"`.
    public var operation: String
    /// The C errno when a syscall failed.
    public var errno: Int32?
    public var location: SourceLocation

    public init(
        _ kind: Kind, _ message: String, device: String, operation: String, errno: Int32? = nil,
        file: String = #fileID, line: Int = #line, function: String = #function
    ) {
        self.kind = kind
        self.message = message
        self.device = device
        self.operation = operation
        self.errno = errno
        self.location = SourceLocation(file: file, line: line, function: function)
    }

    public var description: String {
        var s = "\(device): \(operation) failed: \(kind): \(message)"
        if let errno { s += " (errno \(errno))" }
        return s
    }

    /// Where an error was thrown (our own type, as NIO defines its own, so it is `Sendable` and `Hashable`).
    public struct SourceLocation: Sendable, Hashable {
        public var file: String
        public var line: Int
        public var function: String
    }

    /// Which end of an I2C transfer did not acknowledge (embedded-hal `NoAcknowledgeSource`).
    public enum NoAcknowledgeSource: Sendable, Hashable {
        /// Nobody answered the address byte: wrong address, chip unpowered, SDA/SCL swapped or not pulled up.
        case address
        /// The chip took its address but refused a data byte (busy, e.g. MCP4725 writing EEPROM).
        case data
        /// The adapter cannot tell (Linux i2c-bcm2835 reports every NAK as EREMOTEIO).
        case unknown
    }

    /// Extensible error kind: a struct over a private enum, so adding a kind is not a source break.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Base: Sendable, Hashable {
            case noAcknowledge(NoAcknowledgeSource), busFault, arbitrationLost, timedOut, unsupported
            case invalidArgument, permissionDenied, deviceBusy, notFound, protocolViolation, outOfRange, other
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        public static func noAcknowledge(_ source: NoAcknowledgeSource) -> Kind { Kind(.noAcknowledge(source)) }
        /// Electrical fault on the bus (misplaced START/STOP, stuck line). Linux EIO on most adapters.
        public static let busFault = Kind(.busFault)
        public static let arbitrationLost = Kind(.arbitrationLost)
        public static let timedOut = Kind(.timedOut)
        public static let unsupported = Kind(.unsupported)
        public static let invalidArgument = Kind(.invalidArgument)
        public static let permissionDenied = Kind(.permissionDenied)
        public static let deviceBusy = Kind(.deviceBusy)
        /// The device node or line does not exist.
        public static let notFound = Kind(.notFound)
        /// The device answered something the protocol does not allow (bad length, corrupted frame).
        public static let protocolViolation = Kind(.protocolViolation)
        /// A value outside the device's or the board's range was refused before reaching the wire.
        public static let outOfRange = Kind(.outOfRange)
        public static let other = Kind(.other)

        /// True for any no-acknowledge kind, whatever its source.
        public var isNoAcknowledge: Bool {
            if case .noAcknowledge = base { return true }
            return false
        }

        public var description: String {
            switch base {
            case .noAcknowledge(let s): return "no acknowledge (\(s))"
            case .busFault: return "bus fault"
            case .arbitrationLost: return "arbitration lost"
            case .timedOut: return "timed out"
            case .unsupported: return "unsupported"
            case .invalidArgument: return "invalid argument"
            case .permissionDenied: return "permission denied"
            case .deviceBusy: return "device busy"
            case .notFound: return "not found"
            case .protocolViolation: return "protocol violation"
            case .outOfRange: return "out of range"
            case .other: return "other"
            }
        }
    }
}
