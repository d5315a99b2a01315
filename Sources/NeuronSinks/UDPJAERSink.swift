#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Histogram
public import NeuronControl
public import NeuronHAL

/// Sends every threshold crossing as a UDP datagram in jAER's network format, so jAER (or another board) can
/// receive the spikes live:
///
/// ```
///  int32 sequence number (big-endian), then per event: int32 address, int32 timestamp in µs (big-endian)
/// ```
/// One datagram per spike; address = the neuron channel id; timestamp = the crossing time in µs since the run
/// started (it wraps after 35 minutes, as jAER's 32-bit timestamps do). The socket is non-blocking: if the kernel
/// cannot take a datagram at once, the send fails and is counted, and the forwarder goes on.
/// Destination 127.0.0.1:8991 (jAER's default) unless told otherwise.
public final class UDPJAERSink: SpikeSink, @unchecked Sendable {
    public let name: String
    public let mayBlock = false
    private let fd: Int32
    private var address = sockaddr_in()
    private var sequence: Int32 = 0
    private var buffer = [UInt8](repeating: 0, count: 12)
    private let clock: (any MonotonicClock & Sendable)?
    private var latencies = Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three)

    /// `host` is a dotted IPv4 address. `clock` (the loop's timing clock) enables latency measurement: from the
    /// moment the loop finished the sample that crossed the threshold to the return of `sendto`.
    public init(host: String = "127.0.0.1", port: UInt16 = 8991, clock: (any MonotonicClock & Sendable)? = nil) throws(SinkError) {
        name = "udp \(host):\(port)"
        self.clock = clock
        var addr = in_addr()
        guard inet_pton(AF_INET, host, &addr) == 1 else {
            throw SinkError(sink: "udp", problem: "'\(host)' is not an IPv4 address.", fix: "give a dotted address such as 127.0.0.1")
        }
        #if canImport(Glibc)
        let kind = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        #else
        let kind = SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC
        #endif
        fd = socket(AF_INET, kind, 0)
        guard fd >= 0 else {
            throw SinkError(sink: name, problem: "socket() failed (errno \(errno)).", fix: "check the process may open sockets")
        }
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr = addr
    }

    deinit { close(fd) }

    /// Encodes one event in jAER's format (pure; tested on its own).
    public static func encode(sequence: Int32, address: Int32, timestampMicros: Int32, into bytes: inout [UInt8]) {
        func put(_ v: Int32, at i: Int) {
            let u = UInt32(bitPattern: v)
            bytes[i] = UInt8(u >> 24); bytes[i + 1] = UInt8((u >> 16) & 0xFF)
            bytes[i + 2] = UInt8((u >> 8) & 0xFF); bytes[i + 3] = UInt8(u & 0xFF)
        }
        put(sequence, at: 0)
        put(address, at: 4)
        put(timestampMicros, at: 8)
    }

    public func deliver(_ event: SpikeEvent) throws {
        guard event.phase == .crossing else { return }
        let micros = Int32(truncatingIfNeeded: event.crossing / 1000)
        Self.encode(sequence: sequence, address: Int32(truncatingIfNeeded: event.channel), timestampMicros: micros, into: &buffer)
        sequence &+= 1
        let sent = buffer.withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_DONTWAIT), $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        if let clock, event.detectedAt > 0 {
            _ = latencies.record(UInt64(max(0, clock.now.nanoseconds - event.detectedAt)))
        }
        guard sent == buffer.count else {
            throw SinkError(sink: name, problem: "sendto failed (errno \(errno)).", fix: "check the destination and the network")
        }
    }

    public func finish() throws {}

    public var latency: LatencySummary? { clock == nil ? nil : LatencySummary(latencies) }
}

/// A sink that could not be set up or failed; names the sink and the fix.
public struct SinkError: Error, CustomStringConvertible, Sendable {
    public var sink: String
    public var problem: String
    public var fix: String
    public var description: String { "\(sink): \(problem) Fix: \(fix)" }
}
