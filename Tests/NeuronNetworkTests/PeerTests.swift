import NeuronConfig
import NeuronNetwork
import NeuronSinks
import Testing

@Suite("Peers and sequence gaps")
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

    @Test("lost datagrams from gaps: numbers from 1, the wrap from Int32.max to 0, late and duplicate ones apart")
    func gaps() {
        var g = SequenceGaps()
        for s: Int32 in [1, 2, 3, 6, 7] { g.record(s) }
        #expect(g.lost == 2 && g.late == 0)
        g.record(5)  // late
        g.record(7)  // duplicate
        #expect(g.lost == 2 && g.late == 2 && g.expected == 8)
        var w = SequenceGaps()
        for s: Int32 in [Int32.max - 2, Int32.max, 0, 2] { w.record(s) }
        #expect(w.lost == (Int(Int32.max) - 3) + 1 + 1, "the first datagram counts those before it from 1; the wrap loses none")
        var restart = SequenceGaps()
        restart.record(0)
        restart.record(1)
        #expect(restart.lost == 0)
    }

    @Test("the inbox refuses and counts senders that are not peers; their datagrams never reach the loop")
    func inbox() {
        let box = ExternalSpikeInbox(peers: PeerList([PeerList.Subnet("10.77.0.0/30")!]))
        func datagram(_ seq: Int32) -> [UInt8] { JAERPacket(sequence: seq, events: [.init(address: 0, timestampMicros: seq)]).encoded() }
        box.accept(datagram(1), sender: "10.77.0.1:9000")
        box.accept(datagram(1), sender: "10.77.0.5:9000")
        box.accept(datagram(2), sender: "10.77.0.5:9000")
        box.accept(datagram(4), sender: "10.77.0.1:9000")
        box.accept([1, 2], sender: "10.77.0.2:9000")
        #expect(box.drain() == [0, 0])
        let r = box.report
        #expect(r.peers == ["10.77.0.0/30"])
        #expect(r.datagrams == 2 && r.events == 2 && r.lostDatagrams == 2 && r.malformedDatagrams == 1)
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
