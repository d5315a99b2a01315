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
        // Held, not read: a stream let go of ends the viewer at once.
        guard let viewer = feed.join() else {
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
        withExtendedLifetime(viewer) {}
    }

    // The server tests talk to it from a thread of their own: `LiveServer`'s init and stop block their caller until
    // the server's tasks answer, which would starve Swift's cooperative pool (one thread per core) when several
    // tests do so at once. Expectations are checked back in the test's task.

    @Test func theServerIsReadOnlyAndSurvivesMalformedRequests() async throws {
        let (codes, report, cleanCloses) = try await onOwnThread { () throws -> ([Int?], LiveReport, Int) in
            let feed = LiveFeed(info: info(), streams: [nil])
            let server = try LiveServer(feed: feed, endpoint: LiveEndpoint(host: "127.0.0.1", port: 0))
            defer { server.stop() }
            var codes = [status(of: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", port: server.port),
                         status(of: "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n", port: server.port)]
            _ = status(of: "\u{16}\u{3}\u{1} not http at all\r\n\r\n", port: server.port)
            _ = wait { feed.report.badRequests >= 1 }
            usleep(200_000)
            let before = feed.report.badRequests
            // Clients that read a whole small response and close between requests are not counted.
            for _ in 0..<3 { codes.append(status(of: "GET /status.json HTTP/1.1\r\nHost: x\r\n\r\n", port: server.port, whole: true)) }
            usleep(200_000)
            return (codes, feed.report, feed.report.badRequests - before)
        }
        #expect(codes == [405, 404, 200, 200, 200])
        #expect(report.refusedRequests == 2)
        #expect(report.badRequests >= 1)
        #expect(cleanCloses == 0)
    }

    @Test func cutShortRequestsAndVanishingViewersAreCountedAndSurvived() async throws {
        let seen = try await onOwnThread { () throws -> [String: Int] in
            let feed = LiveFeed(info: info(), streams: [nil])
            let server = try LiveServer(feed: feed, endpoint: LiveEndpoint(host: "127.0.0.1", port: 0))
            defer { server.stop() }
            var seen: [String: Int] = [:]
            // A request cut mid-header by a reset.
            guard let cut = connection(port: server.port), let viewer = connection(port: server.port) else { return seen }
            send(cut, "GET / HTTP/1.1\r\nHo")
            reset(cut)
            // A viewer that sends a message (ignored: read-only), then vanishes without a WebSocket close.
            send(viewer, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            seen["handshake"] = responseStatus(viewer) ?? 0
            seen["viewers while connected"] = wait { feed.viewerCount == 1 } ? 1 : 0
            // A masked text frame "stop" (mask 0: the payload as is).
            _ = [UInt8]([0x81, 0x84, 0, 0, 0, 0] + Array("stop".utf8)).withUnsafeBytes { Glibc.send(viewer, $0.baseAddress, $0.count, 0) }
            _ = wait { feed.report.ignoredMessages == 1 }
            reset(viewer)
            _ = wait { feed.viewerCount == 0 && feed.report.viewersCutOff == 1 && feed.report.badRequests >= 1 }
            let r = feed.report
            seen["viewers after"] = feed.viewerCount
            seen["ignored"] = r.ignoredMessages
            seen["cut off"] = r.viewersCutOff
            seen["bad"] = r.badRequests
            // The server goes on, and the run's figures are what the feed was given, nothing else.
            seen["page"] = status(of: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", port: server.port) ?? 0
            seen["samples and spikes"] = feed.figures[0].samples + feed.figures[0].spikes
            return seen
        }
        #expect(seen["handshake"] == 101)
        #expect(seen["viewers while connected"] == 1)
        #expect(seen["ignored"] == 1)
        #expect(seen["viewers after"] == 0)
        #expect(seen["cut off"] == 1)
        #expect((seen["bad"] ?? 0) >= 1)
        #expect(seen["page"] == 200)
        #expect(seen["samples and spikes"] == 0)
    }

    @Test func loopbackUnlessAnotherAddressIsGiven() async throws {
        #expect(LiveEndpoint.standard == LiveEndpoint(host: "127.0.0.1", port: 8080))
        #expect(LiveEndpoint("8080")?.isLoopback == true)
        guard let other = nonLoopbackAddress() else { return }  // a machine without a network: nothing to reach it from
        let (loopbackReached, openStatus) = try await onOwnThread { () throws -> (Bool, Int?) in
            let feed = LiveFeed(info: info(), streams: [nil])
            let local = try LiveServer(feed: feed, endpoint: LiveEndpoint(host: "127.0.0.1", port: 0))
            defer { local.stop() }
            let reached = connection(port: local.port, address: other).map { close($0) } != nil
            let open = try LiveServer(feed: feed, endpoint: LiveEndpoint(host: "0.0.0.0", port: 0))
            defer { open.stop() }
            return (reached, status(of: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", port: open.port, address: other))
        }
        #expect(!loopbackReached, "a loopback server must not be reachable at this machine's other address")
        #expect(openStatus == 200)
    }

    /// Runs `body` on a new thread and returns what it returned.
    func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in Thread { c.resume(with: Result { try body() }) }.start() }
    }

    /// Polls `condition` for up to 5 s.
    func wait(_ condition: () -> Bool) -> Bool {
        for _ in 0..<500 {
            if condition() { return true }
            usleep(10_000)
        }
        return condition()
    }

    /// Sends `request` on a new connection and returns the response's status code (nil: the server closed it).
    /// `whole`: reads until the response's body (as long as its Content-Length says) has arrived.
    func status(of request: String, port: UInt16, address: UInt32 = 0x7F00_0001, whole: Bool = false) -> Int? {
        guard let fd = connection(port: port, address: address) else { return nil }
        defer { close(fd) }
        send(fd, request)
        guard whole else { return responseStatus(fd) }
        var got: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let text = String(decoding: got, as: UTF8.self)
            if let split = text.range(of: "\r\n\r\n"),
               let length = text[..<split.lowerBound].split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("content-length:") })
                .flatMap({ Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) }),
               text.utf8.distance(from: split.upperBound.samePosition(in: text.utf8)!, to: text.utf8.endIndex) >= length {
                return Int(text.dropFirst(9).prefix(3))
            }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return nil }
            got += buffer[0..<n]
        }
    }

    /// A connected TCP socket (5 s receive timeout), nil when the connection is refused.
    func connection(port: UInt16, address: UInt32 = 0x7F00_0001) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = address.bigEndian
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard ok == 0 else {
            close(fd)
            return nil
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    func send(_ fd: Int32, _ text: String) { _ = text.withCString { Glibc.send(fd, $0, strlen($0), 0) } }

    /// The status code of the response's first line (nil: closed or not HTTP).
    func responseStatus(_ fd: Int32) -> Int? {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 12 else { return nil }
        return Int(String(decoding: buffer[9..<12], as: UTF8.self))
    }

    /// Closes with a reset (SO_LINGER 0), as a killed browser's socket does.
    func reset(_ fd: Int32) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close(fd)
    }

    /// This machine's first IPv4 address that is not loopback (host order), if it has one.
    func nonLoopbackAddress() -> UInt32? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return nil }
        defer { freeifaddrs(list) }
        var p = list
        while let a = p {
            defer { p = a.pointee.ifa_next }
            guard let sa = a.pointee.ifa_addr, sa.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            let ip = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt32(bigEndian: $0.pointee.sin_addr.s_addr) }
            if ip >> 24 != 127 { return ip }
        }
        return nil
    }
}
