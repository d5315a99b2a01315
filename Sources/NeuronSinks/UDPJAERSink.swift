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
///
/// The send path is the forwarder's fast path: the destination address and the 12-byte datagram are allocated once,
/// and a crossing costs three big-endian stores and one `sendto`, with no allocation (checked by
/// `neuronhil-alloc-bench`). The sink accepts crossings only, so the forwarder does not call it for complete events.
public final class UDPJAERSink: SpikeSink, @unchecked Sendable {  // used by the forwarding thread only, after init
    public let name: String
    public let mayBlock = false
    private let fd: Int32
    /// The destination as `sendto` takes it, built once.
    private let destination: UnsafeMutablePointer<sockaddr_in>
    /// The datagram, preallocated: each crossing overwrites its bytes in place.
    private let datagram: UnsafeMutableRawPointer
    private static let datagramBytes = 12
    private var sequence: Int32 = 0
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
        destination = .allocate(capacity: 1)
        destination.initialize(to: sockaddr_in())
        destination.pointee.sin_family = sa_family_t(AF_INET)
        destination.pointee.sin_port = port.bigEndian
        destination.pointee.sin_addr = addr
        datagram = .allocate(byteCount: Self.datagramBytes, alignment: MemoryLayout<Int32>.alignment)
        datagram.initializeMemory(as: UInt8.self, repeating: 0, count: Self.datagramBytes)
    }

    deinit {
        close(fd)
        destination.deallocate()
        datagram.deallocate()
    }

    /// Encodes one event in jAER's format (pure; tested on its own).
    public static func encode(sequence: Int32, address: Int32, timestampMicros: Int32, into bytes: inout [UInt8]) {
        precondition(bytes.count >= datagramBytes, "a jAER datagram of one event is \(datagramBytes) bytes")
        bytes.withUnsafeMutableBytes { encode(sequence: sequence, address: address, timestampMicros: timestampMicros, into: $0.baseAddress!) }
    }

    /// The same, into 12 bytes at `bytes`: three big-endian int32 stores.
    @inline(__always)
    static func encode(sequence: Int32, address: Int32, timestampMicros: Int32, into bytes: UnsafeMutableRawPointer) {
        bytes.storeBytes(of: sequence.bigEndian, toByteOffset: 0, as: Int32.self)
        bytes.storeBytes(of: address.bigEndian, toByteOffset: 4, as: Int32.self)
        bytes.storeBytes(of: timestampMicros.bigEndian, toByteOffset: 8, as: Int32.self)
    }

    public func accepts(_ phase: SpikeEvent.Phase) -> Bool { phase == .crossing }

    public func deliver(_ event: SpikeEvent) throws {
        guard event.phase == .crossing else { return }
        Self.encode(sequence: sequence, address: Int32(truncatingIfNeeded: event.channel),
                    timestampMicros: Int32(truncatingIfNeeded: event.crossing / 1000), into: datagram)
        sequence &+= 1
        let sent = destination.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            sendto(fd, datagram, Self.datagramBytes, Int32(MSG_DONTWAIT), $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
        let failure = sent == Self.datagramBytes ? 0 : errno
        if let clock, event.detectedAt > 0 {
            _ = latencies.record(UInt64(max(0, clock.now.nanoseconds - event.detectedAt)))
        }
        guard failure == 0 else {
            throw SinkError(sink: name, problem: "sendto failed (errno \(failure)).", fix: "check the destination and the network")
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
