#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The senders a board accepts jAER spikes from: IPv4 addresses and CIDR subnets, as a network file's `peers`
/// names them. A datagram from anyone else is refused before it is decoded, so it can never drive a pulse.
public struct PeerList: Sendable, Hashable, CustomStringConvertible {
    /// One address (`/32`) or subnet.
    public struct Subnet: Sendable, Hashable, CustomStringConvertible {
        /// The network address in host byte order, host bits cleared.
        public let network: UInt32
        public let prefixLength: Int

        /// Parses `a.b.c.d` or `a.b.c.d/n` (0 ≤ n ≤ 32); host bits set under the mask are refused (a typo, or a
        /// host meant as a subnet), so the list says what it accepts.
        public init?(_ text: String) {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let address = ipv4(String(parts[0])) else { return nil }
            let length = parts.count == 2 ? Int(parts[1]) : 32
            guard let length, (0...32).contains(length) else { return nil }
            let mask = Self.mask(length)
            guard address & ~mask == 0 else { return nil }
            network = address
            prefixLength = length
        }

        static func mask(_ length: Int) -> UInt32 { length == 0 ? 0 : UInt32.max << UInt32(32 - length) }

        public func contains(_ address: UInt32) -> Bool { address & Self.mask(prefixLength) == network }

        public var description: String {
            let a = [24, 16, 8, 0].map { String((network >> UInt32($0)) & 0xFF) }.joined(separator: ".")
            return prefixLength == 32 ? a : "\(a)/\(prefixLength)"
        }
    }

    public let subnets: [Subnet]
    public init(_ subnets: [Subnet]) { self.subnets = subnets }

    /// What a board accepts when its network file names no peers: this machine only.
    public static let loopback = PeerList([Subnet("127.0.0.0/8")!])

    /// Whether `sender` ("a.b.c.d" or "a.b.c.d:port", as `UDPReceiver` reports it) is a peer.
    public func accepts(sender: String) -> Bool {
        let host = sender.split(separator: ":", maxSplits: 1).first.map(String.init) ?? sender
        guard let address = ipv4(host) else { return false }
        return subnets.contains { $0.contains(address) }
    }

    public var description: String { subnets.map(\.description).joined(separator: ", ") }
}

/// A dotted IPv4 address in host byte order, or nil.
func ipv4(_ text: String) -> UInt32? {
    var addr = in_addr()
    guard inet_pton(AF_INET, text, &addr) == 1 else { return nil }
    return UInt32(bigEndian: addr.s_addr)
}
