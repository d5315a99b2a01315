#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Histogram
public import NeuronControl
public import NeuronHAL

/// A non-blocking UDP socket and its destination, both built once: `send` is one `sendto` and allocates nothing.
/// Not connected: an ICMP "port unreachable" would make the next send on a connected socket fail.
struct UDPSendSocket {
    let fd: Int32
    private let destination: UnsafeMutablePointer<sockaddr_in>

    /// `host` is a dotted IPv4 address; `sink` names the user of the socket in errors.
    init(host: String, port: UInt16, sink: String) throws(SinkError) {
        var addr = in_addr()
        guard inet_pton(AF_INET, host, &addr) == 1 else {
            throw SinkError(sink: sink, problem: "'\(host)' is not an IPv4 address.", fix: "give a dotted address such as 127.0.0.1")
        }
        #if canImport(Glibc)
        let kind = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        #else
        let kind = SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC
        #endif
        fd = socket(AF_INET, kind, 0)
        guard fd >= 0 else {
            throw SinkError(sink: sink, problem: "socket() failed (errno \(errno)).", fix: "check the process may open sockets")
        }
        destination = .allocate(capacity: 1)
        destination.initialize(to: sockaddr_in())
        destination.pointee.sin_family = sa_family_t(AF_INET)
        destination.pointee.sin_port = port.bigEndian
        destination.pointee.sin_addr = addr
    }

    /// Sends `count` bytes without waiting; true when the kernel took them all (else `errno` says why).
    @inline(__always)
    func send(_ bytes: UnsafeRawPointer, count: Int) -> Bool {
        destination.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            sendto(fd, bytes, count, Int32(MSG_DONTWAIT), $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        } == count
    }

    /// Closes the socket; once, by the owner's deinit.
    func release() {
        close(fd)
        destination.deallocate()
    }
}

/// Sends every threshold crossing as a UDP datagram in jAER's network format, so jAER (or another board) can
/// receive the spikes live (jAER's settings: docs/jaer.md):
///
/// ```
///  int32 sequence number (big-endian), then per event: int32 address, int32 timestamp in µs (big-endian)
/// ```
/// Address = the neuron channel id; timestamp = the crossing time in µs since the run started (it wraps after
/// 35.8 minutes, as jAER's 32-bit timestamps do). Sequence numbers as jAER's receiver checks them (`JAERSequence`).
/// The loop's thread sends (`LoopSpikeSink`): the crossings of one tick go out in one datagram at the end of that
/// tick (up to `JAERPacket.maxSentEvents`; more are sent in further datagrams at once). The socket is non-blocking:
/// a datagram the kernel does not take at once is counted as failed for its events, never retried.
/// Destination 127.0.0.1:8991 (jAER's default) unless told otherwise.
///
/// The send path allocates nothing (checked by `neuronhil-alloc-bench`): the destination and the datagram buffer
/// are allocated once; a crossing costs two big-endian stores, a tick with crossings one `sendto`.
public final class UDPJAERSink: LoopSpikeSink, @unchecked Sendable {  // the loop's thread only, after init
    public let name: String
    public let mayBlock = false
    private let socket: UDPSendSocket
    /// The datagram being built: the sequence number, then `staged` events.
    private let datagram: UnsafeMutableRawPointer
    /// The staged events' stamps (`SpikeEvent.detectedAt`), for the latency once sent.
    private let stamps: UnsafeMutablePointer<Int64>
    private var staged = 0
    private var sequence: Int32
    private var sent = 0
    private var failed = 0
    private var lastErrno: Int32 = 0
    private let clock: (any MonotonicClock & Sendable)?
    private var latencies = Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three)

    /// `host` is a dotted IPv4 address. `clock` (the loop's timing clock) enables latency measurement: from the
    /// moment the loop finished the sample that crossed the threshold to the return of `sendto`. `firstSequence`:
    /// the first datagram's sequence number (jAER expects `JAERSequence.first`; tests start near the wrap).
    public init(host: String = "127.0.0.1", port: UInt16 = 8991, clock: (any MonotonicClock & Sendable)? = nil,
                firstSequence: Int32 = JAERSequence.first) throws(SinkError) {
        name = "udp \(host):\(port)"
        self.clock = clock
        sequence = firstSequence
        socket = try UDPSendSocket(host: host, port: port, sink: name)
        datagram = .allocate(byteCount: JAERPacket.maxSentBytes, alignment: MemoryLayout<Int32>.alignment)
        datagram.initializeMemory(as: UInt8.self, repeating: 0, count: JAERPacket.maxSentBytes)
        stamps = .allocate(capacity: JAERPacket.maxSentEvents)
        stamps.initialize(repeating: 0, count: JAERPacket.maxSentEvents)
    }

    deinit {
        socket.release()
        datagram.deallocate()
        stamps.deallocate()
    }

    /// Encodes one event in jAER's format (pure; tested on its own).
    public static func encode(sequence: Int32, address: Int32, timestampMicros: Int32, into bytes: inout [UInt8]) {
        precondition(bytes.count >= 12, "a jAER datagram of one event is 12 bytes")
        bytes.withUnsafeMutableBytes {
            $0.storeBytes(of: sequence.bigEndian, toByteOffset: 0, as: Int32.self)
            encode(address: address, timestampMicros: timestampMicros, into: $0.baseAddress! + 4)
        }
    }

    /// One event's 8 bytes at `bytes`: two big-endian int32 stores.
    @inline(__always)
    static func encode(address: Int32, timestampMicros: Int32, into bytes: UnsafeMutableRawPointer) {
        bytes.storeBytes(of: address.bigEndian, toByteOffset: 0, as: Int32.self)
        bytes.storeBytes(of: timestampMicros.bigEndian, toByteOffset: 4, as: Int32.self)
    }

    public func accepts(_ phase: SpikeEvent.Phase) -> Bool { phase == .crossing }

    public func stage(_ crossing: SpikeEvent) {
        if staged == JAERPacket.maxSentEvents { flush() }
        Self.encode(address: Int32(truncatingIfNeeded: crossing.channel), timestampMicros: Int32(truncatingIfNeeded: crossing.crossing / 1000),
                    into: datagram + 4 + 8 * staged)
        stamps[staged] = crossing.detectedAt
        staged += 1
    }

    public func flush() {
        guard staged > 0 else { return }
        datagram.storeBytes(of: sequence.bigEndian, toByteOffset: 0, as: Int32.self)
        sequence = JAERSequence.next(after: sequence)
        if socket.send(datagram, count: 4 + 8 * staged) {
            sent += staged
        } else {
            failed += staged
            lastErrno = errno
        }
        if let clock {
            let now = clock.now.nanoseconds
            for k in 0..<staged where stamps[k] > 0 { _ = latencies.record(UInt64(max(0, now - stamps[k]))) }
        }
        staged = 0
    }

    /// Sends one crossing in a datagram of its own, now; throws when the kernel refused it.
    public func deliver(_ event: SpikeEvent) throws {
        guard event.phase == .crossing else { return }
        let before = failed
        stage(event)
        flush()
        guard failed == before else { throw sendError }
    }

    public var counts: (delivered: Int, failures: Int, lastError: String?) {
        (sent, failed, failed == 0 ? nil : sendError.description)
    }

    private var sendError: SinkError {
        let reason = lastErrno == EAGAIN || lastErrno == EWOULDBLOCK ? ": the socket's send buffer was full" : ""
        return SinkError(sink: name, problem: "sendto failed (errno \(lastErrno)\(reason)).", fix: "check the destination and the network")
    }

    public func finish() throws { flush() }

    public var latency: LatencySummary? { clock == nil ? nil : LatencySummary(latencies) }
}

/// A sink that could not be set up or failed; names the sink and the fix.
public struct SinkError: Error, CustomStringConvertible, Sendable {
    public var sink: String
    public var problem: String
    public var fix: String
    public var description: String { "\(sink): \(problem) Fix: \(fix)" }
}

/// The floor `UDPJAERSink` is measured against (`neuronctl bench-forwarding`): the same one-event datagram to the
/// same destination, through a bare non-blocking `sendto` on a socket of its own, timed from just before the call
/// to its return. No staging, no sink, no forwarder: what the kernel alone costs at that rate.
public final class UDPFloorSender: @unchecked Sendable {  // one thread at a time
    private let socket: UDPSendSocket
    private let datagram: UnsafeMutableRawPointer
    private var sequence = JAERSequence.first
    private let clock: any MonotonicClock & Sendable
    public private(set) var sent = 0
    public private(set) var failures = 0
    private var latencies = Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three)

    public init(host: String, port: UInt16, clock: any MonotonicClock & Sendable) throws(SinkError) {
        self.clock = clock
        socket = try UDPSendSocket(host: host, port: port, sink: "udp floor \(host):\(port)")
        datagram = .allocate(byteCount: 12, alignment: MemoryLayout<Int32>.alignment)
        datagram.initializeMemory(as: UInt8.self, repeating: 0, count: 12)
    }

    deinit {
        socket.release()
        datagram.deallocate()
    }

    /// Sends one event's datagram and records how long `sendto` took. No allocation.
    public func send(address: Int32, timestampMicros: Int32) {
        datagram.storeBytes(of: sequence.bigEndian, toByteOffset: 0, as: Int32.self)
        UDPJAERSink.encode(address: address, timestampMicros: timestampMicros, into: datagram + 4)
        sequence = JAERSequence.next(after: sequence)
        let start = clock.now.nanoseconds
        let ok = socket.send(datagram, count: 12)
        let end = clock.now.nanoseconds
        if ok { sent += 1 } else { failures += 1 }
        _ = latencies.record(UInt64(max(0, end - start)))
    }

    public var latency: LatencySummary { LatencySummary(latencies) }
}
