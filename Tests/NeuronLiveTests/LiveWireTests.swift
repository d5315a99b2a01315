import Foundation
import NeuronControl
import Testing
@testable import NeuronLive

@Suite struct LiveWireTests {
    @Test func traceMessageRoundTrips() {
        let cols = [EnvelopeColumn(index: 7, membraneMin: 0.125, membraneMax: 0.5, stimulusMin: 0, stimulusMax: 0.75),
                    EnvelopeColumn(index: 9, membraneMin: .nan, membraneMax: .nan, stimulusMin: 0.75, stimulusMax: 0.75)]
        let d = LiveWire.trace(channel: 3, samples: 20, columns: cols)
        #expect(d.count == LiveWire.headerBytes + 2 * LiveWire.columnBytes)
        let back = LiveWire.decodeTrace(d)
        #expect(back?.channel == 3)
        #expect(back?.samples == 20)
        #expect(back?.columns.first == cols[0])
        #expect(back?.columns.last?.index == 9)
        #expect(back?.columns.last?.membraneMin.isNaN == true)
    }

    @Test func jsonMessagesStartWithTheirType() {
        let text = LiveWire.json("hello", LiveRunInfo(mode: "live", command: "run", board: "mock", neurons: [0], sampleRateHz: 10_000,
                                                      durationSeconds: 3, protocolText: "x"))
        #expect(text.hasPrefix(#"{"type":"hello","#))
        let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(object?["board"] as? String == "mock")
    }

    @Test(arguments: [("8081", "127.0.0.1", 8081), ("0.0.0.0:8080", "0.0.0.0", 8080), ("localhost:9", "127.0.0.1", 9)])
    func endpointsParse(text: String, host: String, port: Int) {
        let e = LiveEndpoint(text)
        #expect(e?.host == host)
        #expect(e.map { Int($0.port) } == port)
    }

    @Test(arguments: ["", "host:80", "1.2.3:80", "127.0.0.1:70000", "a:b:c"])
    func badEndpointsAreRefused(text: String) {
        #expect(LiveEndpoint(text) == nil)
    }
}
