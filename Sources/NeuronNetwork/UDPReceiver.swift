#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
public import NeuronControl
import NeuronHAL
import NeuronSinks  // JAERPacket: the wire format UDPJAERSink sends
import Synchronization

/// A UDP socket bound to `host:port` (127.0.0.1 unless told otherwise: nothing off the machine can inject
/// stimulus unless asked) with a thread that hands every datagram to `handler`. Not on the real-time path: the
/// loop only drains what the handler queued.
public final class UDPReceiver: @unchecked Sendable {  // fd and thread owned here; handler runs on the thread
    public let host: String
    public let port: UInt16
    private let fd: Int32
    private let stopping = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)
    private var started = false
    /// jAER's sequence check, per sender ("a.b.c.d:port").
    private let checks = Mutex<[String: JAERSequenceCheck]>([:])

    /// Binds the socket (port 0: the kernel picks one, see `port`). Throws with the address and the fix.
    public init(host: String = "127.0.0.1", port: UInt16) throws(InputError) {
        let source = "udp \(host):\(port)"
        var addr = in_addr()
        guard inet_pton(AF_INET, host, &addr) == 1 else {
            throw InputError(source: source, line: nil, problem: "'\(host)' is not an IPv4 address.", fix: "give a dotted address such as 127.0.0.1")
        }
        #if canImport(Glibc)
        let kind = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        #else
        let kind = SOCK_DGRAM
        #endif
        let fd = socket(AF_INET, kind, 0)
        guard fd >= 0 else {
            throw InputError(source: source, line: nil, problem: "socket() failed (errno \(errno)).", fix: "check the process may open sockets")
        }
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = port.bigEndian
        sa.sin_addr = addr
        let bound = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let e = errno
            close(fd)
            throw InputError(source: source, line: nil, problem: "cannot bind (errno \(e)\(e == EADDRINUSE ? ": the port is in use" : "")).",
                             fix: "choose a free port, or stop the process that holds it")
        }
        // A receive timeout lets the thread notice `stop()` without a second wake-up mechanism.
        var tv = timeval(tv_sec: 0, tv_usec: 50_000)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var actual = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.fd = fd
        self.host = host
        self.port = UInt16(bigEndian: actual.sin_port)
    }

    deinit {
        stop()
        close(fd)
    }

    /// Starts the receiving thread; `handler` gets each datagram and the sender as "a.b.c.d:port".
    ///
    /// `drainEvery`: nil (default) sleeps in `recvfrom` until a datagram comes. Given, the thread instead takes
    /// whatever has arrived without waiting, then sleeps that long: nobody waits on the socket, so a sender on
    /// this machine never pays for waking this thread inside its `sendto` (`neuronctl bench-forwarding` measures
    /// the sender as if the receiver were on another machine, as it is in a deployment).
    public func start(drainEvery: Duration? = nil, _ handler: @escaping @Sendable ([UInt8], String) -> Void) {
        precondition(!started, "a receiver starts once")
        started = true
        let fd = self.fd
        let pause = drainEvery.map { useconds_t(clamping: max(1, $0.nanosecondsValue / 1000)) }
        let flags = pause == nil ? Int32(0) : Int32(MSG_DONTWAIT)
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while !stopping.load(ordering: .acquiring) {
                var from = sockaddr_in()
                var len = socklen_t(MemoryLayout<sockaddr_in>.size)
                let n = buffer.withUnsafeMutableBytes { b in
                    withUnsafeMutablePointer(to: &from) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, b.baseAddress, b.count, flags, $0, &len) }
                    }
                }
                guard n > 0 else {
                    // Nothing there (EAGAIN: the timeout, or an empty socket when draining) or EINTR: check the
                    // stop flag; when draining, sleep before looking again.
                    if let pause { usleep(pause) }
                    continue
                }
                var ip = [CChar](repeating: 0, count: 16)
                _ = inet_ntop(AF_INET, &from.sin_addr, &ip, 16)
                let sender = String(decoding: ip.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + ":\(UInt16(bigEndian: from.sin_port))"
                if n >= 4 {
                    let sequence = Int32(bitPattern: UInt32(buffer[0]) << 24 | UInt32(buffer[1]) << 16 | UInt32(buffer[2]) << 8 | UInt32(buffer[3]))
                    checks.withLock { _ = $0[sender, default: JAERSequenceCheck()].check(sequence) }
                }
                handler(Array(buffer[0..<n]), sender)
            }
            done.signal()
        }
        thread.name = "neuronhil-udp-in"
        thread.start()
    }

    /// jAER's sequence check (`JAERSequenceCheck`, as jAER's receiver makes it) on each sender's datagrams, summed
    /// over the senders: datagrams checked, gaps (what jAER logs as dropped packets), and datagrams missing by the
    /// forward jumps. A datagram shorter than its sequence number is not checked.
    public var sequence: (datagrams: Int, gaps: Int, missing: Int) {
        checks.withLock { $0.values.reduce((0, 0, 0)) { ($0.0 + $1.datagrams, $0.1 + $1.gaps, $0.2 + $1.missing) } }
    }

    /// Stops the thread (returns within about 50 ms). Idempotent.
    public func stop() {
        guard started, !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        done.wait()
    }
}

/// Spikes received over UDP, queued for the loop (which takes them at its own pace).
///
/// Only datagrams from `peers` are decoded; any other sender's are refused and counted, and never reach the ring.
/// Each peer's sequence numbers go through jAER's check (`JAERSequenceCheck`), so datagrams lost on the way are
/// counted as jAER would count them.
/// The addresses go through a preallocated single-producer/single-consumer ring (`SPSCRing`): the receiving thread
/// pushes, the loop pops, neither locks or allocates. When the loop falls behind by `capacity` addresses, further
/// ones are dropped and counted (`counts.dropped`). One thread at a time may call `accept` (the receiver's).
public final class ExternalSpikeInbox: ExternalSpikeSource, Sendable {
    private struct State {
        var received = 0, datagrams = 0, rejected = 0, refused = 0
        var lastError: String?
        var refusedSenders: [String] = []
        var sequences: [String: JAERSequenceCheck] = [:]
    }
    /// Refused senders named in the report (the count covers them all).
    static let refusedSendersKept = 16

    private let ring: SPSCRing<Int32>
    private let state = Mutex(State())
    public let peers: PeerList
    public init(capacity: Int = 4096, peers: PeerList = .loopback) {
        ring = SPSCRing(capacity: capacity)
        self.peers = peers
    }

    /// Receiver side: refuses a sender that is not a peer, decodes the datagram, follows the sender's sequence
    /// numbers and queues the addresses; a bad datagram is counted and remembered.
    public func accept(_ bytes: [UInt8], sender: String) {
        guard peers.accepts(sender: sender) else {
            let host = String(sender.split(separator: ":").first ?? "")
            state.withLock {
                $0.refused += 1
                if !$0.refusedSenders.contains(host) && $0.refusedSenders.count < Self.refusedSendersKept { $0.refusedSenders.append(host) }
            }
            return
        }
        do {
            let packet = try JAERPacket.decode(bytes, source: "jAER udp from \(sender)")
            for e in packet.events { _ = ring.push(e.address) }
            state.withLock {
                $0.received += packet.events.count
                $0.datagrams += 1
                $0.sequences[sender, default: JAERSequenceCheck()].check(packet.sequence)
            }
        } catch {
            state.withLock {
                $0.rejected += 1
                $0.lastError = error.description
            }
        }
    }

    /// Loop side: the next address that has arrived, or nil. No lock, no allocation.
    @inline(__always)
    public func next() -> Int32? { ring.pop() }

    /// Loop side: takes everything that has arrived (allocates the array; the loop uses `next()`).
    public func drain() -> [Int32] {
        var out: [Int32] = []
        while let a = ring.pop() { out.append(a) }
        return out
    }

    /// Datagrams' events received, datagrams refused (and the last reason), and events dropped because the loop
    /// was `capacity` behind.
    public var counts: (received: Int, rejected: Int, lastError: String?, dropped: Int) {
        let d = ring.dropped
        return state.withLock { ($0.received, $0.rejected, $0.lastError, d) }
    }

    /// Everything counted so far, for the summary.
    public var report: UDPInputReport {
        let d = ring.dropped
        return state.withLock { s in
            UDPInputReport(
                peers: peers.subnets.map(\.description), datagrams: s.datagrams, events: s.received,
                sequenceGaps: s.sequences.values.reduce(0) { $0 + $1.gaps }, lostDatagrams: s.sequences.values.reduce(0) { $0 + $1.missing },
                malformedDatagrams: s.rejected, refusedDatagrams: s.refused, refusedSenders: s.refusedSenders, droppedEvents: d)
        }
    }
}

/// What a board's jAER input received and refused (`summary.json`'s `udp_input`).
public struct UDPInputReport: Sendable, Codable, Hashable {
    /// The addresses and subnets accepted.
    public var peers: [String]
    /// Datagrams from peers that decoded, and the spike events they carried.
    public var datagrams: Int
    public var events: Int
    /// Jumps in each peer's sequence numbers (what jAER logs as dropped packets), and the datagrams the forward
    /// jumps skipped: those that never came.
    public var sequenceGaps: Int
    public var lostDatagrams: Int
    /// Datagrams from peers that did not decode as jAER.
    public var malformedDatagrams: Int
    /// Datagrams from senders that are not peers (never decoded), and the first few of those senders.
    public var refusedDatagrams: Int
    public var refusedSenders: [String]
    /// Events dropped because the loop was the inbox's capacity behind.
    public var droppedEvents: Int
}
