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
