import NeuronControl

/// A jAER network datagram as `UDPJAERSink` sends it, decoded (for receivers, replay and tests):
///
/// ```
///  int32 sequence number (big-endian), then per event: int32 address, int32 timestamp in µs (big-endian)
/// ```
/// Decoding never traps: every malformed datagram (too short, a trailing partial event, too many events) is
/// refused with a `JAERPacket.DecodeError` naming the source, the byte offset and the fix.
public struct JAERPacket: Sendable, Hashable {
    public struct Event: Sendable, Hashable {
        public var address: Int32
        public var timestampMicros: Int32
        public init(address: Int32, timestampMicros: Int32) {
            self.address = address
            self.timestampMicros = timestampMicros
        }
    }
    public var sequence: Int32
    public var events: [Event]

    /// The largest datagram accepted: a UDP payload over IPv4 is at most 65 507 bytes.
    public static let maxBytes = 65_507
    /// The largest datagram we send: jAER's receive buffer (`AENetworkInterfaceConstants.DATAGRAM_BUFFER_SIZE_BYTES`)
    /// is 63 000 bytes, and it silently cuts a longer datagram. 7874 events.
    public static let maxSentBytes = 63_000
    /// Events per datagram that fit in `maxSentBytes`.
    public static let maxSentEvents = (maxSentBytes - 4) / 8

    public struct DecodeError: Error, Sendable, Hashable, CustomStringConvertible {
        /// Where the datagram came from, e.g. "udp 127.0.0.1:8991" or a capture file.
        public var source: String
        /// Byte offset of the problem in the datagram.
        public var offset: Int
        public var problem: String
        public var fix: String
        public var description: String { "\(source): byte \(offset): \(problem) Fix: \(fix)" }
    }

    public init(sequence: Int32, events: [Event]) {
        self.sequence = sequence
        self.events = events
    }

    /// The datagram's bytes (the inverse of `decode`).
    public func encoded() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 4 + 8 * events.count)
        func put(_ v: Int32, at i: Int) {
            let u = UInt32(bitPattern: v)
            bytes[i] = UInt8(u >> 24); bytes[i + 1] = UInt8((u >> 16) & 0xFF)
            bytes[i + 2] = UInt8((u >> 8) & 0xFF); bytes[i + 3] = UInt8(u & 0xFF)
        }
        put(sequence, at: 0)
        for (k, e) in events.enumerated() {
            put(e.address, at: 4 + 8 * k)
            put(e.timestampMicros, at: 8 + 8 * k)
        }
        return bytes
    }

    /// Decodes one datagram.
    public static func decode(_ bytes: some Collection<UInt8>, source: String = "jAER datagram") throws(DecodeError) -> JAERPacket {
        let b = Array(bytes)
        guard b.count <= maxBytes else {
            throw DecodeError(source: source, offset: maxBytes, problem: "\(b.count) bytes is larger than any UDP datagram.",
                              fix: "send one datagram per packet")
        }
        guard b.count >= 4 else {
            throw DecodeError(source: source, offset: b.count, problem: "\(b.count) bytes is shorter than the 4-byte sequence number.",
                              fix: "send at least the big-endian int32 sequence number")
        }
        guard (b.count - 4) % 8 == 0 else {
            let partial = 4 + (b.count - 4) / 8 * 8
            throw DecodeError(source: source, offset: partial,
                              problem: "\(b.count - partial) trailing bytes do not make a whole event (8 bytes: address, timestamp).",
                              fix: "send whole events; the datagram may have been truncated")
        }
        func get(_ i: Int) -> Int32 {
            Int32(bitPattern: UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3]))
        }
        var events: [Event] = []
        events.reserveCapacity((b.count - 4) / 8)
        var i = 4
        while i < b.count {
            events.append(Event(address: get(i), timestampMicros: get(i + 4)))
            i += 8
        }
        return JAERPacket(sequence: get(0), events: events)
    }
}

/// The sequence numbers of jAER datagrams, as jAER's receiver (`net.sf.jaer.eventio.AEUnicastInput`) checks them:
/// it expects 0 first, then each number one more than the last in 32-bit two's complement (Java `int`), so
/// `Int32.max` is followed by `Int32.min`. We send exactly that, so jAER finds no gap, neither at the start nor at
/// the wrap. (jAER's own sender, `AEUnicastOutput`, starts at 1 and wraps from `Int32.max` to 0; a current jAER
/// receiver reports one dropped packet at each, a reset and not a loss.)
public enum JAERSequence {
    public static let first: Int32 = 0
    @inline(__always)
    public static func next(after sequence: Int32) -> Int32 { sequence &+ 1 }
}

/// jAER's sequence check (`AEUnicastInput.checkSequenceNumber`) over one stream of datagrams: each datagram is
/// expected to carry `JAERSequence.next` of the last one (0 first). A datagram that does not is a gap, and the
/// check resynchronises on it, as jAER does. A forward jump counts the datagrams it skipped as missing; a jump
/// back (a sender that restarted, or datagrams reordered) is a gap with nothing counted missing.
public struct JAERSequenceCheck: Sendable, Hashable {
    public private(set) var expected: Int32
    public private(set) var datagrams = 0
    public private(set) var gaps = 0
    public private(set) var missing = 0

    /// `expecting`: the first sequence number awaited (jAER: 0).
    public init(expecting: Int32 = JAERSequence.first) { expected = expecting }

    /// Checks one datagram's sequence number; returns the jump (0: none), as jAER logs it.
    @discardableResult
    public mutating func check(_ sequence: Int32) -> Int32 {
        datagrams += 1
        let jump = sequence &- expected
        if jump != 0 {
            gaps += 1
            if jump > 0 { missing += Int(jump) }
        }
        expected = JAERSequence.next(after: sequence)
        return jump
    }
}
