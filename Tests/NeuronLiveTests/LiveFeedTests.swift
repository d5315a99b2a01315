import FlyingFox
import Foundation
import Glibc
import NeuronControl
import NeuronHAL
import Testing
@testable import NeuronLive

@Suite struct LiveFeedTests {
    func info(neurons: [Int] = [0]) -> LiveRunInfo {
        LiveRunInfo(mode: "live", command: "run", board: "mock", neurons: neurons, sampleRateHz: 10_000, durationSeconds: 1, protocolText: "test")
    }

    func spike(_ i: Int, pulse: Int, at t: Int64) -> SpikeEvent {
        SpikeEvent(phase: .complete, index: i, channel: 0, pulseIndex: pulse, onset: t, crossing: t, peakTime: t + 100_000,
                   peak: .volts(0.5), energy: Energy(joules: 37.5e-12), biasTime: .milliseconds(2), fullyFormed: true)
    }

    /// Collects what a viewer was sent (the stream ends with the run's end).
    func received(_ frames: AsyncStream<WSFrame>) async -> (samples: Int, columns: Int, texts: [String]) {
        var samples = 0, columns = 0
        var texts: [String] = []
        for await f in frames {
            if f.opcode == .binary, let t = LiveWire.decodeTrace(f.payload) {
                samples += t.samples
                columns += t.columns.count
            } else if f.opcode == .text {
                texts.append(String(decoding: f.payload, as: UTF8.self))
            }
        }
        return (samples, columns, texts)
    }

    @Test func columnsAreMinMaxEnvelopesOfOneMillisecond() {
        let feed = LiveFeed(info: info(), streams: [nil])
        #expect(feed.columnNanoseconds == 1_000_000)
        // 25 samples at 10 kS/s: columns 0 and 1 whole (10 each), column 2 open until the end.
        for k in 0..<25 {
            feed.ingest(TraceSample(time: Int64(k) * 100_000, stimulus: k < 5 ? 0.75 : 0, membrane: Float(k) * 0.01, pulse: 0), channel: 0)
        }
        feed.finish(termination: "completed")
        let figures = feed.figures[0]
        #expect(figures.samples == 25)
        #expect(figures.pulses == 1)
    }

    @Test func aViewerJoiningAfterTheEndGetsTheWholeRun() async {
        let feed = LiveFeed(info: info(), streams: [nil])
        for k in 0..<2000 {
            feed.ingest(TraceSample(time: Int64(k) * 100_000, stimulus: 0, membrane: 0.1, pulse: Int32(k / 300)), channel: 0)
        }
        feed.ingest(spikes: [spike(0, pulse: 1, at: 40_000_000), spike(1, pulse: 1, at: 60_000_000), spike(2, pulse: 3, at: 100_000_000)])
        feed.finish(termination: "completed", summary: #"{"result":{"samples":2000}}"#)
        guard let viewer = feed.join() else {
            Issue.record("the feed refused its first viewer")
            return
        }
        let got = await received(viewer.frames)
        #expect(got.samples == 2000)
        #expect(got.columns == 200)
        let spikes = got.texts.filter { $0.hasPrefix(#"{"type":"spikes""#) }
        #expect(spikes.count == 1)
        #expect(got.texts.first?.hasPrefix(#"{"type":"hello""#) == true)
        let end = got.texts.last ?? ""
        #expect(end.hasPrefix(#"{"type":"end""#))
        #expect(end.contains(#""summary":{"result":{"samples":2000}}"#))
        let f = feed.figures[0]
        #expect(f.spikes == 3)
        #expect(f.firedPulses == 2)
        #expect(f.pulses == 7)
    }

    @Test func aViewerThatDoesNotReadIsSkippedThenDroppedNeverBuffered() {
        let feed = LiveFeed(info: info(), streams: [nil])
        guard feed.join() != nil else {
            Issue.record("the feed refused its first viewer")
            return
        }
        // Nobody reads the viewer's frames: its queue fills, trace messages are skipped, then a spike closes it.
        for round in 0..<(LiveFeed.viewerQueue * 2) {
            let t0 = Int64(round) * 2_000_000
            feed.ingest(TraceSample(time: t0, stimulus: 0, membrane: 0, pulse: 0), channel: 0)
            feed.ingest(TraceSample(time: t0 + 1_000_000, stimulus: 0, membrane: 0, pulse: 0), channel: 0)
            feed.ingest(spikes: [spike(round, pulse: round, at: t0)])
        }
        let r = feed.report
        #expect(r.traceMessagesSkipped > 0)
        #expect(r.viewersDropped == 1)
        #expect(feed.viewerCount == 0)
    }

    @Test func theServerIsReadOnlyAndSurvivesMalformedRequests() throws {
        let feed = LiveFeed(info: info(), streams: [nil])
        let server = try LiveServer(feed: feed, endpoint: LiveEndpoint(host: "127.0.0.1", port: 0))
        defer { server.stop() }
        #expect(try status(of: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", port: server.port) == 405)
        #expect(try status(of: "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n", port: server.port) == 404)
        _ = try? status(of: "\u{16}\u{3}\u{1} not http at all\r\n\r\n", port: server.port)
        #expect(try status(of: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", port: server.port) == 200)
        let r = feed.report
        #expect(r.refusedRequests == 2)
        #expect(r.badRequests >= 1)
    }

    /// Sends `request` on a new connection and returns the response's status code (nil: the server closed it).
    func status(of request: String, port: UInt16) throws -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard ok == 0 else { return nil }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 12 else { return nil }
        return Int(String(decoding: buffer[9..<12], as: UTF8.self))
    }
}
