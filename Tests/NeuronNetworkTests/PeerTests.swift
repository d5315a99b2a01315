import NeuronConfig
import NeuronNetwork
import NeuronSinks
import Testing

@Suite("Peers")
struct PeerTests {
    @Test("addresses and subnets: what each accepts; host bits under the mask and bad text refused")
    func subnets() throws {
        let list = PeerList([try #require(.init("10.77.0.4")), try #require(.init("192.168.8.0/22"))])
        #expect(list.description == "10.77.0.4, 192.168.8.0/22")
        for (sender, accepted) in [("10.77.0.4:9601", true), ("10.77.0.5:9601", false), ("192.168.11.255:1", true),
                                   ("192.168.12.0:1", false), ("192.168.7.255", false), ("127.0.0.1:5", false), ("nonsense", false)] {
            #expect(list.accepts(sender: sender) == accepted, "\(sender)")
        }
        #expect(PeerList.loopback.accepts(sender: "127.3.2.1:40000"))
        #expect(!PeerList.loopback.accepts(sender: "10.0.0.1:40000"))
        #expect(PeerList([try #require(.init("0.0.0.0/0"))]).accepts(sender: "203.0.113.9:1"))
        for bad in ["10.0.0.1/24", "10.0.0.0/33", "10.0.0", "10.0.0.0/", "host", "10.0.0.0/8/8"] {
            #expect(PeerList.Subnet(bad) == nil, "\(bad)")
        }
    }

    @Test("the inbox refuses and counts senders that are not peers; their datagrams never reach the loop")
    func inbox() {
        let box = ExternalSpikeInbox(peers: PeerList([PeerList.Subnet("10.77.0.0/30")!]))
        func datagram(_ seq: Int32) -> [UInt8] { JAERPacket(sequence: seq, events: [.init(address: 0, timestampMicros: seq)]).encoded() }
        box.accept(datagram(0), sender: "10.77.0.1:9000")
        box.accept(datagram(1), sender: "10.77.0.5:9000")
        box.accept(datagram(2), sender: "10.77.0.5:9000")
        box.accept(datagram(0), sender: "10.77.0.2:9000")  // a second peer numbers its own datagrams
        box.accept(datagram(3), sender: "10.77.0.1:9000")
        box.accept(datagram(1), sender: "10.77.0.2:9000")
        box.accept([1, 2], sender: "10.77.0.2:9000")
        #expect(box.drain() == [0, 0, 0, 0])
        let r = box.report
        #expect(r.peers == ["10.77.0.0/30"])
        #expect(r.datagrams == 4 && r.events == 4 && r.malformedDatagrams == 1)
        #expect(r.sequenceGaps == 1 && r.lostDatagrams == 2, "jAER's check per peer: 10.77.0.1 skipped 1 and 2")
        #expect(r.refusedDatagrams == 2 && r.refusedSenders == ["10.77.0.5"])
    }

    @Test("network files: peers decoded; errors located", arguments: [
        ("listen: 10.0.0.2:9531\npeers: [10.0.0.1/24]\n", "net.yaml:2:9: peers[0]: '10.0.0.1/24' is not an IPv4 address or subnet", "10.0.1.0/24"),
        ("listen: 10.0.0.2:9531\npeers: []\n", "net.yaml:2:1: peers: `peers` is empty", "remove the key"),
        ("peers: [10.0.0.1]\n", "net.yaml:1:1: peers: `peers` names who may send", "listen"),
    ])
    func networkFile(yaml: String, message: String, fix: String) throws {
        let file = try NetworkFile.parse(yaml: "listen: 10.0.0.2:9531\npeers: [10.0.0.1, 10.0.1.0/24]\n", source: "net.yaml")
        #expect(file.peers.description == "10.0.0.1, 10.0.1.0/24")
        #expect(try NetworkFile.parse(yaml: "listen: 9531\n", source: "net.yaml").peers == .loopback)
        do {
            _ = try NetworkFile.parse(yaml: yaml, source: "net.yaml")
            Issue.record("accepted \(yaml)")
        } catch {
            #expect(error.description.hasPrefix(message), "\(error)")
            #expect(error.fix.contains(fix), "\(error)")
        }
    }
}
